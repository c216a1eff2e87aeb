import type { AlertSeverity, AlertStatus } from '../../server/api-types.ts';

/**
 * How the alerts panel shows a severity: an Okabe-Ito colour (told apart by colour-blind people),
 * and a mark and a word, so nothing is said by colour alone.
 */
export interface SeverityAppearance {
  readonly color: string;
  /** Text on the colour: black or white, whichever reads (WCAG contrast >= 4.5). */
  readonly textColor: string;
  readonly mark: string;
  readonly label: string;
}

const appearances: Readonly<Record<AlertSeverity, SeverityAppearance>> = {
  critical: { color: '#D55E00', textColor: '#000000', mark: '‼', label: 'critical' },
  warning: { color: '#E69F00', textColor: '#000000', mark: '!', label: 'warning' },
  info: { color: '#56B4E9', textColor: '#000000', mark: 'i', label: 'info' },
};

const rank: Readonly<Record<AlertSeverity, number>> = { critical: 2, warning: 1, info: 0 };

export function severityAppearance(severity: AlertSeverity): SeverityAppearance {
  return appearances[severity];
}

/** What the panel orders by: the severity, the status and when the alert was raised. */
export interface OrderedAlert {
  readonly severity: AlertSeverity;
  readonly status: AlertStatus;
  readonly raisedAt: string;
  readonly id: string;
}

/**
 * Worst first: critical before warning before info; within a severity, open before acknowledged,
 * then the newest first; the id last, so the order is total and stable.
 *
 * @example alerts.sort(compareAlerts)
 */
export function compareAlerts(a: OrderedAlert, b: OrderedAlert): number {
  return (
    rank[b.severity] - rank[a.severity] ||
    Number(a.status !== 'open') - Number(b.status !== 'open') ||
    Date.parse(b.raisedAt) - Date.parse(a.raisedAt) ||
    (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)
  );
}
