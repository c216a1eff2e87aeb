/**
 * The post-loan report's period and links (`GET /api/loans/{id}/report?from&to&format`), from the
 * loan panel's two date inputs. The dates are the officer's calendar days in the browser's time
 * zone: `from` starts at its midnight, and `to` is included (the period ends at the next
 * midnight, or now when that is later than now: a report does not reach into the future).
 */
import { startOfDay, toDateInputValue } from './loan-dates.ts';

export type ReportFormat = 'html' | 'pdf' | 'csv';

export const DEFAULT_REPORT_DAYS = 90;
/** The longest period the service reports on at once. */
export const MAX_REPORT_DAYS = 400;
const DAY_MS = 86_400_000;

export interface ReportPeriod {
  readonly from: Date;
  readonly to: Date;
}

/** A period the officer cannot have, with the field, the value and the rule. */
export interface ReportPeriodProblem {
  readonly field: 'from' | 'to';
  readonly message: string;
}

/** The default period's two date input values: the last 90 days, today included. */
export function defaultReportDates(now: Date): { from: string; to: string } {
  const from = new Date(now.getFullYear(), now.getMonth(), now.getDate() - DEFAULT_REPORT_DAYS);
  return { from: toDateInputValue(from), to: toDateInputValue(now) };
}

/**
 * The report period of two date input values, or the first problem with them.
 *
 * @example readReportPeriod('2026-05-01', '2026-07-31', new Date())
 */
export function readReportPeriod(
  fromText: string,
  toText: string,
  now: Date,
): ReportPeriod | ReportPeriodProblem {
  const from = startOfDay(fromText);
  if (from === null)
    return {
      field: 'from',
      message: `from “${fromText}” is not a date: pick a day (yyyy-mm-dd)`,
    };
  const toDay = startOfDay(toText);
  if (toDay === null)
    return { field: 'to', message: `to “${toText}” is not a date: pick a day (yyyy-mm-dd)` };
  if (toDay < from)
    return {
      field: 'from',
      message: `from ${fromText} is after to ${toText}: the period must start before it ends`,
    };
  if (from >= now)
    return {
      field: 'from',
      message: `from ${fromText} is in the future: a report covers days that have begun`,
    };
  const nextMidnight = new Date(toDay.getFullYear(), toDay.getMonth(), toDay.getDate() + 1);
  const to = nextMidnight < now ? nextMidnight : now;
  const days = (to.getTime() - from.getTime()) / DAY_MS;
  if (days > MAX_REPORT_DAYS)
    return {
      field: 'to',
      message: `from ${fromText} to ${toText} spans ${Math.ceil(days)} days: a report covers at most ${MAX_REPORT_DAYS} days`,
    };
  return { from, to };
}

export function isReportPeriod(value: ReportPeriod | ReportPeriodProblem): value is ReportPeriod {
  return !('message' in value);
}

/** The report's URL (same origin: the session cookie authenticates the GET). */
export function reportUrl(loanId: string, period: ReportPeriod, format: ReportFormat): string {
  const query = new URLSearchParams({
    from: period.from.toISOString(),
    to: period.to.toISOString(),
    format,
  });
  return `/api/loans/${encodeURIComponent(loanId)}/report?${query.toString()}`;
}
