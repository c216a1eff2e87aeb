import type { Alert, AlertStreamMessage } from '../../server/api-types.ts';
import { compareAlerts } from './alert-order.ts';

/** An alert as the panel lists it: the list's fields, or a stream message's until it is read. */
export type ListedAlert = Pick<
  Alert,
  | 'id'
  | 'kind'
  | 'subjectType'
  | 'subjectId'
  | 'farmId'
  | 'loanId'
  | 'severity'
  | 'status'
  | 'title'
  | 'raisedAt'
  | 'updatedAt'
  | 'assignedTo'
> & { evidence?: Alert['evidence'] };

/**
 * The alerts the panel shows (open and acknowledged; a resolved one leaves), merged from the list
 * read at start and the live stream: whichever says the later `updatedAt` wins, so a list read
 * after a stream event cannot undo it.
 */
export class AlertStore {
  private readonly alerts = new Map<string, ListedAlert>();
  private readonly listeners = new Set<(changedId: string | null) => void>();

  /** Alerts from `GET /api/alerts`. */
  addFromList(alerts: readonly ListedAlert[]): void {
    for (const alert of alerts) this.put(alert);
    this.emit(null);
  }

  /**
   * A stream message: answers whether the store has the whole alert (false: a new alert, to read
   * with `GET /api/alerts/{id}` for its `raisedAt` and assignee).
   */
  applyMessage(message: AlertStreamMessage): boolean {
    const known = this.alerts.get(message.alert.id);
    this.put({
      ...message.alert,
      raisedAt: known?.raisedAt ?? message.event.at,
      updatedAt: message.event.at,
      assignedTo: known?.assignedTo ?? null,
      ...(known?.evidence === undefined ? {} : { evidence: known.evidence }),
    });
    this.emit(message.alert.id);
    return known !== undefined;
  }

  /** An alert read in full (after an action, or a new one from the stream). */
  replace(alert: ListedAlert): void {
    this.put(alert);
    this.emit(alert.id);
  }

  get(id: string): ListedAlert | undefined {
    return this.alerts.get(id);
  }

  /** Worst first (see compareAlerts). */
  sorted(): ListedAlert[] {
    return [...this.alerts.values()].sort(compareAlerts);
  }

  onChange(listener: (changedId: string | null) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private put(alert: ListedAlert): void {
    const known = this.alerts.get(alert.id);
    if (known !== undefined && Date.parse(known.updatedAt) > Date.parse(alert.updatedAt)) return;
    if (alert.status === 'resolved') this.alerts.delete(alert.id);
    else this.alerts.set(alert.id, alert);
  }

  private emit(changedId: string | null): void {
    for (const listener of this.listeners) listener(changedId);
  }
}
