/**
 * Test support for delivery and streaming: alert changes written straight into `alerts` and
 * `alert_events` with their outbox rows, as the engine does, and the AlertEventView it publishes.
 * Only tests import this file.
 */
import type { Storage } from '../../db/storage.ts';
import type { AlertEventView } from '../alert-bus.ts';
import { enqueueDeliveries } from './enqueue.ts';

export interface TestAlertChange {
  /** The alert to change; a new one is raised on the farm when absent. */
  readonly alertId?: string;
  readonly farmCode: string;
  readonly kind?: string;
  readonly severity?: 'info' | 'warning' | 'critical';
  readonly type?: AlertEventView['type'];
  readonly status?: 'open' | 'acknowledged' | 'resolved';
}

/**
 * Raises or changes an alert on a demo farm in one transaction (alert row, event, deliveries) and
 * returns the event as the engine would publish it after commit.
 */
export async function writeTestAlertEvent(
  storage: Storage,
  change: TestAlertChange,
): Promise<AlertEventView> {
  return storage.transaction(async (tx) => {
    const farm = await tx.query<{ id: string; branch_id: string }>(
      `select f.id, b.branch_id from farms f join borrowers b on b.id = f.borrower_id
        where f.code = $1`,
      [change.farmCode],
    );
    const farmRow = farm.rows[0];
    if (farmRow === undefined) throw new Error(`no farm ${change.farmCode}`);
    const kind = change.kind ?? 'tag_outside_geofence';
    const severity = change.severity ?? 'warning';
    const status = change.status ?? 'open';
    let alertId = change.alertId;
    if (alertId === undefined) {
      const inserted = await tx.query<{ id: string }>(
        `insert into alerts (kind, subject_type, subject_id, branch_id, farm_id, severity, title)
         values ($1, 'farm', $2, $3, $2, $4, $5) returning id`,
        [kind, farmRow.id, farmRow.branch_id, severity, `Test ${kind} on ${change.farmCode}`],
      );
      alertId = String(inserted.rows[0]?.id);
    } else {
      await tx.query(
        `update alerts set severity = $2, status = $3, updated_at = now(),
                resolved_at = case when $3 = 'resolved' then now() end,
                acknowledged_at = case when $3 = 'acknowledged' then now() end
          where id = $1`,
        [alertId, severity, status],
      );
    }
    const type = change.type ?? (change.alertId === undefined ? 'raised' : 'updated');
    const event = await tx.query<{ id: string; at: Date }>(
      `insert into alert_events (alert_id, type, actor_kind, payload)
       values ($1, $2, 'system', $3::jsonb) returning id, at`,
      [alertId, type, JSON.stringify({ note: `${type} by test` })],
    );
    const row = event.rows[0];
    if (row === undefined) throw new Error('no alert event written');
    await enqueueDeliveries(tx, [String(row.id)]);
    return {
      id: String(row.id),
      alertId,
      at: row.at,
      type,
      actorKind: 'system',
      actorUserId: null,
      comment: null,
      payload: { note: `${type} by test` },
      alert: {
        kind,
        subjectType: 'farm',
        subjectId: farmRow.id,
        branchId: farmRow.branch_id,
        loanId: null,
        farmId: farmRow.id,
        severity,
        status,
        title: `Test ${kind} on ${change.farmCode}`,
      },
    };
  });
}
