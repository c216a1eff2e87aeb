import type { AlertEventView } from '../alert-bus.ts';

/** The `data` of one `event: alert` on GET /api/alerts/stream. */
export interface StreamMessage {
  readonly event: {
    readonly id: string;
    readonly type: string;
    readonly at: string;
    readonly actorKind: 'user' | 'system';
    readonly actorUserId: string | null;
    readonly comment: string | null;
    readonly payload: unknown;
  };
  readonly alert: {
    readonly id: string;
    readonly kind: string;
    readonly subjectType: string;
    readonly subjectId: string;
    readonly branchId: string;
    readonly loanId: string | null;
    readonly farmId: string | null;
    readonly severity: 'info' | 'warning' | 'critical';
    readonly status: 'open' | 'acknowledged' | 'resolved';
    readonly title: string;
  };
}

/** A live event from the AlertBus as a stream message. */
export function toStreamMessage(view: AlertEventView): StreamMessage {
  return {
    event: {
      id: view.id,
      type: view.type,
      at: view.at.toISOString(),
      actorKind: view.actorKind,
      actorUserId: view.actorUserId,
      comment: view.comment,
      payload: view.payload,
    },
    alert: {
      id: view.alertId,
      kind: view.alert.kind,
      subjectType: view.alert.subjectType,
      subjectId: view.alert.subjectId,
      branchId: view.alert.branchId,
      loanId: view.alert.loanId,
      farmId: view.alert.farmId,
      severity: view.alert.severity,
      status: view.alert.status,
      title: view.alert.title,
    },
  };
}

/**
 * The same message read back from `alert_events e` joined to `alerts a`, for a replay after
 * Last-Event-ID. The alert part is the alert as it stands now (the event itself is as it was).
 */
export const streamMessageSql = `jsonb_build_object(
  'event', jsonb_build_object(
    'id', e.id::text, 'type', e.type,
    'at', to_char(e.at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
    'actorKind', e.actor_kind, 'actorUserId', e.actor_user_id, 'comment', e.comment,
    'payload', e.payload),
  'alert', jsonb_build_object(
    'id', a.id, 'kind', a.kind, 'subjectType', a.subject_type, 'subjectId', a.subject_id,
    'branchId', a.branch_id, 'loanId', a.loan_id, 'farmId', a.farm_id, 'severity', a.severity,
    'status', a.status, 'title', a.title))`;
