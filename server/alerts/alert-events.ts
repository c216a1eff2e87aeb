/**
 * Writing alert events: one row in `alert_events` per transition, with who and when, and the view
 * the AlertBus hands to live channels once the transaction commits.
 */
import type { Queryable } from '../db/storage.ts';
import type { AlertEventView } from './alert-bus.ts';
import type { Severity } from './types.ts';

/** The alert columns an event view carries (the alert as it stands after the event). */
export interface AlertSnapshot {
  readonly id: string;
  readonly kind: string;
  readonly subjectType: string;
  readonly subjectId: string;
  readonly branchId: string;
  readonly loanId: string | null;
  readonly farmId: string | null;
  readonly severity: Severity;
  readonly status: 'open' | 'acknowledged' | 'resolved';
  readonly title: string;
}

export interface AlertSnapshotRow {
  id: string;
  kind: string;
  subject_type: string;
  subject_id: string;
  branch_id: string;
  loan_id: string | null;
  farm_id: string | null;
  severity: Severity;
  status: 'open' | 'acknowledged' | 'resolved';
  title: string;
}

export const snapshotColumns =
  'id, kind, subject_type, subject_id, branch_id, loan_id, farm_id, severity, status, title';

export function toSnapshot(row: AlertSnapshotRow): AlertSnapshot {
  return {
    id: row.id,
    kind: row.kind,
    subjectType: row.subject_type,
    subjectId: row.subject_id,
    branchId: row.branch_id,
    loanId: row.loan_id,
    farmId: row.farm_id,
    severity: row.severity,
    status: row.status,
    title: row.title,
  };
}

export interface NewAlertEvent {
  readonly type: AlertEventView['type'];
  readonly at: Date;
  /** null: the system. */
  readonly actorUserId: string | null;
  readonly comment?: string | null;
  readonly payload?: unknown;
}

/** Inserts one event for `alert` and returns its view (to publish after commit). */
export async function insertAlertEvent(
  tx: Queryable,
  alert: AlertSnapshot,
  event: NewAlertEvent,
): Promise<AlertEventView> {
  const { rows } = await tx.query<{ id: string }>(
    `insert into alert_events (alert_id, at, type, actor_kind, actor_user_id, comment, payload)
     values ($1, $2, $3, $4, $5, $6, $7::jsonb) returning id`,
    [
      alert.id,
      event.at,
      event.type,
      event.actorUserId === null ? 'system' : 'user',
      event.actorUserId,
      event.comment ?? null,
      event.payload === undefined ? null : JSON.stringify(event.payload),
    ],
  );
  return toEventView(String(rows[0]?.id), alert, event);
}

/** The bus's view of an event just written with id `id` (for writers that batch their SQL). */
export function toEventView(
  id: string,
  alert: AlertSnapshot,
  event: NewAlertEvent,
): AlertEventView {
  return {
    id,
    alertId: alert.id,
    at: event.at,
    type: event.type,
    actorKind: event.actorUserId === null ? 'system' : 'user',
    actorUserId: event.actorUserId,
    comment: event.comment ?? null,
    payload: event.payload ?? null,
    alert: {
      kind: alert.kind,
      subjectType: alert.subjectType,
      subjectId: alert.subjectId,
      branchId: alert.branchId,
      loanId: alert.loanId,
      farmId: alert.farmId,
      severity: alert.severity,
      status: alert.status,
      title: alert.title,
    },
  };
}

/** Events in id order (the order the bus promises). */
export function byEventId(a: AlertEventView, b: AlertEventView): number {
  const x = BigInt(a.id);
  const y = BigInt(b.id);
  return x < y ? -1 : x > y ? 1 : 0;
}
