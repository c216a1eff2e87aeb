/**
 * The in-process hand-off between the alert engine and the live channels (SSE, MQTT topics). The
 * engine publishes the alert events it has just committed; listeners never see an event that could
 * still roll back. Listeners run synchronously and must not throw: a slow or failing listener must
 * not hold up the engine (each one catches its own errors).
 */
export interface AlertEventView {
  /** alert_events.id as text (int8 stays a string on both backends); increases monotonically. */
  readonly id: string;
  readonly alertId: string;
  readonly at: Date;
  readonly type:
    | 'raised'
    | 'updated'
    | 'acknowledged'
    | 'assigned'
    | 'commented'
    | 'escalated'
    | 'resolved'
    | 'reopened';
  readonly actorKind: 'user' | 'system';
  readonly actorUserId: string | null;
  readonly comment: string | null;
  readonly payload: unknown;
  /** The alert as it stands after this event. */
  readonly alert: {
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

export type AlertEventListener = (events: readonly AlertEventView[]) => void;

export class AlertBus {
  readonly #listeners = new Set<AlertEventListener>();

  /** Adds a listener; returns the function that removes it. */
  subscribe(listener: AlertEventListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Hands committed events, in id order, to every listener. */
  publish(events: readonly AlertEventView[]): void {
    if (events.length === 0) return;
    for (const listener of this.#listeners) listener(events);
  }
}
