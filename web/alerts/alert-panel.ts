import type {
  Alert,
  AlertStreamMessage,
  AlertWithHistory,
  UserSummary,
} from '../../server/api-types.ts';
import { getJson, postJson } from '../api.ts';
import { severityAppearance } from './alert-order.ts';
import { AlertStore, type ListedAlert } from './alert-store.ts';

export interface AlertPanelOptions {
  /** The panel's element: the list and the open alert's details are drawn in it. */
  readonly element: HTMLElement;
  /** Zooms the map to the alert's subject (farm, parcel, herd, tag position). */
  readonly zoomTo: (alert: AlertWithHistory) => void;
  /** Called on every stream event (after the store has it): e.g. to refresh the animals. */
  readonly onEvent?: (message: AlertStreamMessage) => void;
}

/**
 * The alerts panel: the branch's open and acknowledged alerts, worst first, live over
 * Server-Sent Events (`GET /api/alerts/stream`; the browser's EventSource reconnects on its own
 * with Last-Event-ID). A list of buttons with a roving tabindex (arrow keys, Home, End; Enter or
 * a click opens one); the open alert shows its evidence and history, and can be acknowledged,
 * resolved, assigned and commented on.
 */
export class AlertPanel {
  readonly store = new AlertStore();
  private readonly list: HTMLUListElement;
  private readonly detail: HTMLElement;
  private readonly summary: HTMLElement;
  private source: EventSource | null = null;
  private openId: string | null = null;
  private focusedId: string | null = null;
  private assignees: UserSummary[] = [];
  /** The comment being written in the open alert's form. */
  private draft = '';
  /** Stream events received, for the tests (window.__pledgewatch). */
  eventsReceived = 0;
  connected = false;

  private readonly options: AlertPanelOptions;

  constructor(options: AlertPanelOptions) {
    this.options = options;
    const { element } = options;
    element.classList.add('alerts');
    const heading = document.createElement('h2');
    heading.id = 'alerts-heading';
    heading.textContent = 'Alerts';
    this.summary = document.createElement('span');
    this.summary.className = 'alerts-summary';
    this.summary.setAttribute('aria-live', 'polite');
    heading.append(' ', this.summary);
    this.list = document.createElement('ul');
    this.list.className = 'alert-list';
    this.list.setAttribute('aria-labelledby', 'alerts-heading');
    this.list.addEventListener('keydown', (event) => this.onKey(event));
    this.detail = document.createElement('section');
    this.detail.className = 'alert-detail';
    this.detail.hidden = true;
    this.detail.setAttribute('aria-label', 'Alert details');
    element.append(heading, this.list, this.detail);
    this.store.onChange(() => this.render());
  }

  /** Opens the stream, then reads the current alerts (events in between are merged by time). */
  async start(me: UserSummary): Promise<void> {
    this.connect();
    const [open, acknowledged] = await Promise.all(
      (['open', 'acknowledged'] as const).map((status) =>
        getJson<{ items: Alert[] }>(`/api/alerts?status=${status}&limit=500`),
      ),
    );
    this.store.addFromList([...(open?.items ?? []), ...(acknowledged?.items ?? [])]);
    // Officers read only themselves (GET /api/users is a 403 for them): they assign to themselves.
    // Supervisors and admins read the users of the branch.
    const users =
      me.role === 'officer'
        ? { items: [me] }
        : await getJson<{ items: UserSummary[] }>('/api/users?limit=500').catch(() => ({
            items: [me],
          }));
    this.assignees = users.items.filter(
      (u) =>
        !u.disabled && u.role !== 'admin' && (me.branchId === null || u.branchId === me.branchId),
    );
  }

  stop(): void {
    this.source?.close();
    this.source = null;
  }

  /** Ids of the listed alerts in the order shown. */
  shown(): ListedAlert[] {
    return this.store.sorted();
  }

  /** Opens an alert's details and zooms to its subject. */
  async open(id: string): Promise<void> {
    if (this.openId !== id) this.draft = '';
    this.openId = id;
    const alert = await this.refreshDetail();
    if (alert !== null) this.options.zoomTo(alert);
  }

  private connect(): void {
    const source = new EventSource('/api/alerts/stream', { withCredentials: true });
    source.addEventListener('open', () => {
      this.connected = true;
      this.renderSummary();
    });
    source.addEventListener('error', () => {
      // EventSource retries by itself, with the last id it saw as Last-Event-ID.
      this.connected = false;
      this.renderSummary();
    });
    source.addEventListener('alert', (event) => {
      const message = JSON.parse((event as MessageEvent<string>).data) as AlertStreamMessage;
      this.eventsReceived += 1;
      const complete = this.store.applyMessage(message);
      if (!complete && message.alert.status !== 'resolved')
        getJson<AlertWithHistory>(`/api/alerts/${message.alert.id}`)
          .then((alert) => this.store.replace(alert))
          .catch(() => undefined); // the list keeps the stream's version
      // The open alert changed elsewhere (another officer, the engine): show its new state.
      if (message.alert.id === this.openId) void this.refreshDetail();
      this.options.onEvent?.(message);
    });
    this.source = source;
  }

  private renderSummary(): void {
    const alerts = this.store.sorted();
    const open = alerts.filter((a) => a.status === 'open').length;
    this.summary.textContent = `${open} open, ${alerts.length - open} acknowledged${this.connected ? '' : ' · reconnecting…'}`;
  }

  private render(): void {
    this.renderSummary();
    const alerts = this.store.sorted();
    const hadFocus = this.list.contains(document.activeElement);
    if (this.focusedId === null || !alerts.some((a) => a.id === this.focusedId))
      this.focusedId = alerts[0]?.id ?? null;
    this.list.replaceChildren(
      ...alerts.map((alert) => {
        const item = document.createElement('li');
        const button = document.createElement('button');
        const look = severityAppearance(alert.severity);
        button.type = 'button';
        button.className = `alert-item severity-${alert.severity} status-${alert.status}`;
        button.dataset['alertId'] = alert.id;
        button.tabIndex = alert.id === this.focusedId ? 0 : -1;
        if (alert.id === this.openId) button.setAttribute('aria-current', 'true');
        const badge = document.createElement('span');
        badge.className = 'severity-badge';
        badge.style.background = look.color;
        badge.style.color = look.textColor;
        badge.textContent = `${look.mark} ${look.label}`;
        const title = document.createElement('span');
        title.className = 'alert-title';
        title.textContent = alert.title;
        const meta = document.createElement('span');
        meta.className = 'alert-meta';
        meta.textContent = `${alert.status === 'acknowledged' ? '✔ acknowledged' : '● open'} · ${formatTime(alert.raisedAt)}`;
        button.append(badge, title, meta);
        button.addEventListener('click', () => {
          this.focusedId = alert.id;
          void this.open(alert.id);
        });
        item.append(button);
        return item;
      }),
    );
    if (alerts.length === 0) {
      const empty = document.createElement('li');
      empty.className = 'alert-empty';
      empty.textContent = 'No open alerts';
      this.list.append(empty);
    }
    if (hadFocus) this.focusButton(this.focusedId);
  }

  private onKey(event: KeyboardEvent): void {
    const ids = this.store.sorted().map((a) => a.id);
    const at = this.focusedId === null ? -1 : ids.indexOf(this.focusedId);
    let next: number | null = null;
    if (event.key === 'ArrowDown') next = Math.min(ids.length - 1, at + 1);
    else if (event.key === 'ArrowUp') next = Math.max(0, at - 1);
    else if (event.key === 'Home') next = 0;
    else if (event.key === 'End') next = ids.length - 1;
    if (next === null || ids[next] === undefined) return;
    event.preventDefault();
    this.focusedId = ids[next] ?? null;
    for (const button of this.list.querySelectorAll<HTMLButtonElement>('button'))
      button.tabIndex = button.dataset['alertId'] === this.focusedId ? 0 : -1;
    this.focusButton(this.focusedId);
  }

  private focusButton(id: string | null): void {
    if (id === null) return;
    this.list.querySelector<HTMLButtonElement>(`button[data-alert-id="${id}"]`)?.focus();
  }

  private async refreshDetail(): Promise<AlertWithHistory | null> {
    const id = this.openId;
    if (id === null) return null;
    try {
      const alert = await getJson<AlertWithHistory>(`/api/alerts/${id}`);
      if (this.openId !== id) return null;
      this.store.replace(alert);
      this.showDetail(alert);
      return alert;
    } catch (error) {
      this.detail.hidden = false;
      this.detail.textContent = `cannot read the alert: ${String(error)}`;
      return null;
    }
  }

  private showDetail(alert: AlertWithHistory): void {
    const look = severityAppearance(alert.severity);
    const heading = document.createElement('h3');
    heading.textContent = `${look.mark} ${alert.title}`;
    const facts = document.createElement('dl');
    const fact = (term: string, value: string): void => {
      const dt = document.createElement('dt');
      dt.textContent = term;
      const dd = document.createElement('dd');
      dd.textContent = value;
      facts.append(dt, dd);
    };
    fact('severity', look.label);
    fact('status', alert.status);
    fact('raised', formatTime(alert.raisedAt));
    fact('kind', alert.kind.replaceAll('_', ' '));
    const assignee = this.assignees.find((u) => u.id === alert.assignedTo);
    fact(
      'assigned to',
      alert.assignedTo === null ? 'nobody' : (assignee?.displayName ?? alert.assignedTo),
    );
    const evidence = document.createElement('dl');
    evidence.className = 'alert-evidence';
    for (const [key, value] of Object.entries(alert.evidence)) {
      const dt = document.createElement('dt');
      dt.textContent = key;
      const dd = document.createElement('dd');
      dd.textContent =
        typeof value === 'object' && value !== null ? JSON.stringify(value) : String(value);
      evidence.append(dt, dd);
    }
    const evidenceHeading = document.createElement('h4');
    evidenceHeading.textContent = 'Evidence';
    const historyHeading = document.createElement('h4');
    historyHeading.textContent = 'History';
    const history = document.createElement('ol');
    history.className = 'alert-history';
    for (const event of alert.events) {
      const item = document.createElement('li');
      item.textContent = `${formatTime(event.at)} ${event.type}${event.actorEmail === null ? '' : ` by ${event.actorEmail}`}${event.comment === null ? '' : `: “${event.comment}”`}`;
      history.append(item);
    }
    this.detail.replaceChildren(
      heading,
      facts,
      evidenceHeading,
      evidence,
      historyHeading,
      history,
      this.actions(alert),
    );
    this.detail.hidden = false;
  }

  private actions(alert: AlertWithHistory): HTMLFormElement {
    const form = document.createElement('form');
    form.className = 'alert-actions';
    const label = document.createElement('label');
    label.textContent = 'Comment';
    const comment = document.createElement('textarea');
    comment.name = 'comment';
    comment.rows = 2;
    // A redraw (a stream event on this alert) keeps what is being typed.
    comment.value = this.draft;
    comment.addEventListener('input', () => {
      this.draft = comment.value;
    });
    label.append(comment);
    const error = document.createElement('p');
    error.className = 'alert-action-error';
    error.setAttribute('role', 'alert');
    const run = async (name: string, body: Record<string, string>): Promise<void> => {
      error.textContent = '';
      try {
        const changed = await postJson<AlertWithHistory>(`/api/alerts/${alert.id}/${name}`, body);
        this.draft = '';
        this.store.replace(changed);
        if (changed.status === 'resolved') {
          this.detail.hidden = true;
          this.openId = null;
        } else this.showDetail(changed);
      } catch (failure) {
        error.textContent = String(failure instanceof Error ? failure.message : failure);
      }
    };
    const withComment = (): Record<string, string> =>
      comment.value.trim() === '' ? {} : { comment: comment.value.trim() };
    const button = (
      text: string,
      name: string,
      needsComment: boolean,
      enabled = true,
    ): HTMLButtonElement => {
      const b = document.createElement('button');
      b.type = 'button';
      b.textContent = text;
      b.dataset['action'] = name;
      b.disabled = !enabled;
      b.addEventListener('click', () => {
        if (needsComment && comment.value.trim() === '') {
          error.textContent = `${text}: write a comment first`;
          comment.focus();
          return;
        }
        void run(name, withComment());
      });
      return b;
    };
    const buttons = document.createElement('div');
    buttons.className = 'alert-buttons';
    buttons.append(
      button('Acknowledge', 'acknowledge', true, alert.status === 'open'),
      button('Resolve', 'resolve', false),
      button('Comment', 'comment', true),
    );
    const assignLabel = document.createElement('label');
    assignLabel.textContent = 'Assign to';
    const select = document.createElement('select');
    select.name = 'assignee';
    for (const user of this.assignees) {
      const option = document.createElement('option');
      option.value = user.id;
      option.textContent = `${user.displayName} (${user.role})`;
      option.selected = user.id === alert.assignedTo;
      select.append(option);
    }
    assignLabel.append(select);
    const assign = document.createElement('button');
    assign.type = 'button';
    assign.textContent = 'Assign';
    assign.dataset['action'] = 'assign';
    assign.disabled = this.assignees.length === 0;
    assign.addEventListener(
      'click',
      () => void run('assign', { assigneeId: select.value, ...withComment() }),
    );
    const assignRow = document.createElement('div');
    assignRow.className = 'alert-assign';
    assignRow.append(assignLabel, assign);
    form.append(label, buttons, assignRow, error);
    form.addEventListener('submit', (event) => event.preventDefault());
    return form;
  }
}

function formatTime(iso: string): string {
  const date = new Date(iso);
  return Number.isNaN(date.getTime())
    ? iso
    : date.toLocaleString('en-GB', { dateStyle: 'short', timeStyle: 'medium' });
}
