import type { Queryable } from '../../db/storage.ts';
import { deliveryBodySql } from './delivery-body.ts';

/**
 * The outbox write: inside the transaction that records alert events, one `deliveries` row per
 * matching webhook or MQTT subscription and event. A rolled-back alert change leaves no delivery;
 * a committed one always has its deliveries, which the delivery worker sends after commit.
 * Server-Sent Events need no rows: their clients read `alert_events` from their Last-Event-ID.
 *
 * Matching: an active subscription whose scope (branch, borrower, loan, farm; null = any) contains
 * the alert, whose kinds include the alert's kind (null = every kind), and whose minimum severity
 * the alert reaches. Each row keeps the body it will send (the event and the alert as they stand in
 * this transaction), so retries send the same thing. Returns the number of deliveries written.
 */
export async function enqueueDeliveries(
  tx: Queryable,
  alertEventIds: readonly string[],
): Promise<number> {
  if (alertEventIds.length === 0) return 0;
  const result = await tx.query(
    insertDeliveriesSql({
      events: 'alert_events',
      alerts: 'alerts',
      where: 'e.id = any ($1::bigint[])',
    }),
    [alertEventIds],
  );
  return result.rowCount;
}

/**
 * The outbox insert of `enqueueDeliveries` over any source of events (aliased `e`: id, alert_id,
 * type, at, actor_kind, actor_user_id, comment, payload) and of their alerts (aliased `a`: the
 * alerts columns of `deliveryBodySql` and the scope columns), restricted by `where`. The sources
 * may be the tables, or the `returning` rows of a statement that has just written them (a CTE), so
 * a writer can store an event and its deliveries in one statement.
 */
export function insertDeliveriesSql(source: {
  readonly events: string;
  readonly alerts: string;
  readonly where: string;
}): string {
  return `insert into deliveries (subscription_id, alert_event_id, alert_id, idempotency_key, body)
     select s.id, e.id, a.id, s.id::text || ':' || e.id::text, ${deliveryBodySql}
       from ${source.events} e
       join ${source.alerts} a on a.id = e.alert_id
       join branches br on br.id = a.branch_id
       left join loans l on l.id = a.loan_id
       left join farms f on f.id = a.farm_id
       join subscriptions s
         on s.active
        and s.channel in ('webhook', 'mqtt')
        and (s.branch_id is null or s.branch_id = a.branch_id)
        and (s.loan_id is null or s.loan_id = a.loan_id)
        and (s.farm_id is null or s.farm_id = a.farm_id)
        and (s.borrower_id is null or s.borrower_id = coalesce(l.borrower_id, f.borrower_id))
        and (s.kinds is null or a.kind = any (s.kinds))
        and array_position(array['info', 'warning', 'critical'], a.severity)
            >= array_position(array['info', 'warning', 'critical'], s.min_severity)
      where ${source.where}
      order by e.id, s.id
     on conflict (subscription_id, alert_event_id) do nothing`;
}
