/**
 * Escalation: a critical alert still open (not acknowledged) at its `ack_deadline_at` goes to a
 * supervisor of its branch (the first enabled one by email), once: `escalated_at`, `escalated_to`
 * and an `escalated` event by the system. The worker calls {@link escalateDueAlerts} every
 * PW_ALERT_ESCALATION_INTERVAL_MS; `skip locked` lets several instances share the work.
 */
import type { AlertEventView } from './alert-bus.ts';
import {
  insertAlertEvent,
  snapshotColumns,
  toSnapshot,
  type AlertSnapshotRow,
} from './alert-events.ts';
import type { AlertEngine, ApplyResult } from './engine.ts';

export function escalateDueAlerts(engine: AlertEngine): Promise<ApplyResult> {
  return engine.runInTransaction(async (tx, at) => {
    const due = await tx.query<AlertSnapshotRow & { ack_deadline_at: Date }>(
      `select ${snapshotColumns}, ack_deadline_at from alerts
        where status = 'open' and escalated_at is null and ack_deadline_at <= $1
        order by ack_deadline_at
        limit 500
        for update skip locked`,
      [at],
    );
    const events: AlertEventView[] = [];
    for (const alert of due.rows) {
      const supervisor = await tx.query<{ id: string; email: string }>(
        `select id, email from users
          where branch_id = $1 and role = 'supervisor' and disabled_at is null
          order by email limit 1`,
        [alert.branch_id],
      );
      const to = supervisor.rows[0] ?? null;
      const { rows } = await tx.query<AlertSnapshotRow>(
        `update alerts set escalated_at = $2, escalated_to = $3, updated_at = $2
          where id = $1 returning ${snapshotColumns}`,
        [alert.id, at, to?.id ?? null],
      );
      events.push(
        await insertAlertEvent(tx, toSnapshot(rows[0] ?? alert), {
          type: 'escalated',
          at,
          actorUserId: null,
          payload: {
            escalatedTo: to?.id ?? null,
            escalatedToEmail: to?.email ?? null,
            ackDeadlineAt: alert.ack_deadline_at.toISOString(),
          },
        }),
      );
    }
    return events;
  });
}
