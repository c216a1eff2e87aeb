/**
 * What a webhook receives and an MQTT subscriber reads: `{ event, alert }`, the alert event and the
 * alert as it stood when the event was committed. Frozen into `deliveries.body` by the outbox write,
 * so every retry sends the same content.
 */
export interface DeliveryBody {
  readonly event: {
    /** alert_events.id as text; increases monotonically. */
    readonly id: string;
    readonly type: string;
    readonly at: string;
    readonly actorKind: 'user' | 'system';
    readonly actorUserId: string | null;
    readonly comment: string | null;
    readonly payload: unknown;
    /** True only for "send a test alert": no real alert changed. */
    readonly test: boolean;
  };
  readonly alert: {
    readonly id: string;
    readonly kind: string;
    readonly subjectType: string;
    readonly subjectId: string;
    readonly branchId: string;
    readonly branchCode: string;
    readonly loanId: string | null;
    readonly farmId: string | null;
    readonly farmCode: string | null;
    readonly severity: 'info' | 'warning' | 'critical';
    readonly status: 'open' | 'acknowledged' | 'resolved';
    readonly title: string;
    readonly evidence: unknown;
    readonly raisedAt: string;
    readonly updatedAt: string;
  };
}

const isoSql = (column: string): string =>
  `to_char(${column} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

/**
 * The SQL expression of a DeliveryBody over `alert_events e`, `alerts a`, `branches br` (the alert's
 * branch) and `farms f` (left-joined: the alert's farm).
 */
export const deliveryBodySql = `jsonb_build_object(
  'event', jsonb_build_object(
    'id', e.id::text, 'type', e.type, 'at', ${isoSql('e.at')}, 'actorKind', e.actor_kind,
    'actorUserId', e.actor_user_id, 'comment', e.comment, 'payload', e.payload, 'test', false),
  'alert', jsonb_build_object(
    'id', a.id, 'kind', a.kind, 'subjectType', a.subject_type, 'subjectId', a.subject_id,
    'branchId', a.branch_id, 'branchCode', br.code, 'loanId', a.loan_id, 'farmId', a.farm_id,
    'farmCode', f.code, 'severity', a.severity, 'status', a.status, 'title', a.title,
    'evidence', a.evidence, 'raisedAt', ${isoSql('a.raised_at')},
    'updatedAt', ${isoSql('a.updated_at')}))`;
