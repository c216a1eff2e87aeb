/**
 * What people do with an alert: acknowledge (with a comment), resolve, assign to an officer of
 * its branch, comment. Each is one transaction that changes the alert, writes its event (who,
 * when) and the outbox rows, and publishes the event after commit (through the engine, so these
 * are ordered with the engine's own changes). Branch visibility: an alert the actor may not see
 * is a 404, as elsewhere in the API.
 */
import type { Principal } from '../auth/principal.ts';
import { canSeeBranch } from '../auth/principal.ts';
import type { Queryable } from '../db/storage.ts';
import { ConflictError, InvalidInputError, NotFoundError } from '../errors.ts';
import type { AlertEventView } from './alert-bus.ts';
import {
  insertAlertEvent,
  snapshotColumns,
  toSnapshot,
  type AlertSnapshotRow,
} from './alert-events.ts';
import type { AlertEngine } from './engine.ts';

async function lockVisible(
  tx: Queryable,
  principal: Principal,
  alertId: string,
): Promise<AlertSnapshotRow> {
  const { rows } = await tx.query<AlertSnapshotRow>(
    `select ${snapshotColumns} from alerts where id = $1 for update`,
    [alertId],
  );
  const row = rows[0];
  if (row === undefined || !canSeeBranch(principal, row.branch_id)) {
    throw new NotFoundError('alert', alertId);
  }
  return row;
}

function requireComment(comment: string | undefined, action: string): string {
  const text = comment?.trim() ?? '';
  if (text.length === 0) throw new InvalidInputError(`comment is required to ${action} an alert`);
  return text;
}

async function change(
  engine: AlertEngine,
  principal: Principal,
  alertId: string,
  work: (tx: Queryable, alert: AlertSnapshotRow, at: Date) => Promise<AlertEventView>,
): Promise<AlertEventView> {
  const { events } = await engine.runInTransaction(async (tx, at) => {
    const alert = await lockVisible(tx, principal, alertId);
    return [await work(tx, alert, at)];
  });
  const event = events[0];
  if (event === undefined) throw new Error('alert change wrote no event');
  return event;
}

/** open -> acknowledged, with the comment. */
export function acknowledgeAlert(
  engine: AlertEngine,
  principal: Principal,
  alertId: string,
  comment: string | undefined,
): Promise<AlertEventView> {
  return change(engine, principal, alertId, async (tx, alert, at) => {
    const text = requireComment(comment, 'acknowledge');
    if (alert.status !== 'open') {
      throw new ConflictError(
        `alert ${alertId} is ${alert.status}: only an open alert can be acknowledged`,
      );
    }
    const { rows } = await tx.query<AlertSnapshotRow>(
      `update alerts set status = 'acknowledged', acknowledged_at = $2, acknowledged_by = $3,
              updated_at = $2
        where id = $1 returning ${snapshotColumns}`,
      [alertId, at, principal.userId],
    );
    return insertAlertEvent(tx, toSnapshot(rows[0] ?? alert), {
      type: 'acknowledged',
      at,
      actorUserId: principal.userId,
      comment: text,
    });
  });
}

/** open or acknowledged -> resolved by a user. The condition must be seen afresh to raise again. */
export function resolveAlert(
  engine: AlertEngine,
  principal: Principal,
  alertId: string,
  comment: string | undefined,
): Promise<AlertEventView> {
  return change(engine, principal, alertId, async (tx, alert, at) => {
    if (alert.status === 'resolved') {
      throw new ConflictError(`alert ${alertId} is already resolved`);
    }
    const { rows } = await tx.query<AlertSnapshotRow>(
      `update alerts set status = 'resolved', resolved_at = $2, resolved_by = $3,
              resolved_by_system = false, updated_at = $2
        where id = $1 returning ${snapshotColumns}`,
      [alertId, at, principal.userId],
    );
    await tx.query(
      'delete from alert_conditions where subject_type = $1 and subject_id = $2 and kind = $3',
      [alert.subject_type, alert.subject_id, alert.kind],
    );
    return insertAlertEvent(tx, toSnapshot(rows[0] ?? alert), {
      type: 'resolved',
      at,
      actorUserId: principal.userId,
      comment: comment?.trim() || null,
    });
  });
}

/**
 * Assigns the alert to an enabled officer or supervisor of its branch. Inputs are checked after
 * the alert is found visible, so another branch's alert is a 404 whatever the body.
 */
export function assignAlert(
  engine: AlertEngine,
  principal: Principal,
  alertId: string,
  assigneeId: string | undefined,
  comment: string | undefined,
): Promise<AlertEventView> {
  return change(engine, principal, alertId, async (tx, alert, at) => {
    if (assigneeId === undefined || !/^[0-9a-f-]{36}$/i.test(assigneeId)) {
      throw new InvalidInputError(`assigneeId ${JSON.stringify(assigneeId)} must be a user id`);
    }
    if (alert.status === 'resolved') throw new ConflictError(`alert ${alertId} is resolved`);
    const assignee = await tx.query<{ id: string; email: string }>(
      `select id, email from users where id = $1 and branch_id = $2 and disabled_at is null
          and role in ('officer', 'supervisor')`,
      [assigneeId, alert.branch_id],
    );
    const user = assignee.rows[0];
    if (user === undefined) {
      throw new InvalidInputError(
        `assigneeId ${assigneeId} is not an enabled officer or supervisor of the alert's branch`,
      );
    }
    const previous = await tx.query<{ assigned_to: string | null }>(
      'select assigned_to from alerts where id = $1',
      [alertId],
    );
    const { rows } = await tx.query<AlertSnapshotRow>(
      `update alerts set assigned_to = $2, updated_at = $3 where id = $1 returning ${snapshotColumns}`,
      [alertId, user.id, at],
    );
    return insertAlertEvent(tx, toSnapshot(rows[0] ?? alert), {
      type: 'assigned',
      at,
      actorUserId: principal.userId,
      comment: comment?.trim() || null,
      payload: {
        assignedTo: user.id,
        assignedToEmail: user.email,
        previous: previous.rows[0]?.assigned_to ?? null,
      },
    });
  });
}

/** A comment on the alert's history. */
export function commentAlert(
  engine: AlertEngine,
  principal: Principal,
  alertId: string,
  comment: string | undefined,
): Promise<AlertEventView> {
  return change(engine, principal, alertId, async (tx, alert, at) =>
    insertAlertEvent(tx, toSnapshot(alert), {
      type: 'commented',
      at,
      actorUserId: principal.userId,
      comment: requireComment(comment, 'comment on'),
    }),
  );
}
