/**
 * The alert engine's vocabulary: what a rule says about one subject (a {@link Condition}), and what
 * the engine needs besides to raise, update or clear an alert from it.
 */
export type Severity = 'info' | 'warning' | 'critical';

export const severities: readonly Severity[] = ['info', 'warning', 'critical'];

/** What an alert is about (alerts.subject_type). */
export type SubjectType = 'loan' | 'farm' | 'parcel' | 'herd' | 'ear_tag' | 'camera' | 'gateway';

/** Where rule settings may be set, narrowest last (alert_rule_settings.scope_type). */
export type ScopeType = 'portfolio' | 'branch' | 'loan' | 'farm' | 'herd' | 'parcel' | 'ear_tag';

export const scopeTypes: readonly ScopeType[] = [
  'portfolio',
  'branch',
  'loan',
  'farm',
  'herd',
  'parcel',
  'ear_tag',
];

/** One rule's verdict on one subject. Rules are pure: they build these and nothing else. */
export interface Condition {
  readonly kind: string;
  readonly subjectType: SubjectType;
  readonly subjectId: string;
  /** Whether the condition holds now. An inactive condition lets an open alert clear. */
  readonly active: boolean;
  readonly severity: Severity;
  readonly title: string;
  /** What raised it: reading ids and time range, counts, missing tags, scene ids and statistics. */
  readonly evidence: Readonly<Record<string, unknown>>;
  /**
   * The material part of the evidence: the open alert gets an `updated` event only when this or
   * the severity changes (a distance that moves by a metre is not news; a new missing tag is).
   */
  readonly evidenceKey: string;
}

/** Where an alert belongs: the branch that sees it, and its loan and farm when it has them. */
export interface AlertContext {
  readonly branchId: string;
  readonly loanId: string | null;
  readonly farmId: string | null;
}

/** A condition as the engine takes it: with its context and its minimum durations. */
export interface ObservedCondition extends Condition {
  readonly context: AlertContext;
  /** The condition must hold this long (ms) before an alert is raised. */
  readonly raiseAfterMs: number;
  /** The condition must be gone this long (ms) before the open alert is resolved. */
  readonly clearAfterMs: number;
}

/** Every rule's params carry the minimum durations, in ms. */
export interface DurationParams {
  readonly raiseAfterMs: number;
  readonly clearAfterMs: number;
}

export function severityRank(severity: Severity): number {
  return severities.indexOf(severity);
}
