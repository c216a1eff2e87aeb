/**
 * The period a report covers, parsed once for the API and the command line: `from` inclusive,
 * `to` exclusive, each an ISO 8601 timestamp with a time zone or a calendar date (midnight UTC).
 */
import { InvalidInputError } from '../errors.ts';
import { isCalendarDate } from '../resources/field-rules.ts';

export const DEFAULT_REPORT_PERIOD_DAYS = 90;
export const MAX_REPORT_PERIOD_DAYS = 400;

const DAY_MS = 24 * 60 * 60 * 1000;
const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;
const DATE = /^\d{4}-\d{2}-\d{2}$/;

export interface ReportPeriod {
  readonly from: Date;
  readonly to: Date;
}

export interface ReportPeriodInput {
  readonly from?: string | undefined;
  readonly to?: string | undefined;
}

/**
 * Parses and checks a period: `to` defaults to `now`, `from` to 90 days before `to`; `from` must
 * be before `to`, at most 400 days apart. Errors name the field (as `fields` calls it: `query.from`
 * in the API, `--from` on the command line), the value and the rule.
 *
 * @example
 * parseReportPeriod({ from: '2026-01-01', to: '2026-04-01' }, { now: new Date() })
 * // { from: 2026-01-01T00:00:00.000Z, to: 2026-04-01T00:00:00.000Z }
 */
export function parseReportPeriod(
  input: ReportPeriodInput,
  options: { now: Date; fields?: { from: string; to: string } },
): ReportPeriod {
  const fields = options.fields ?? { from: 'from', to: 'to' };
  const to = input.to === undefined ? options.now : parseMoment(fields.to, input.to);
  const from =
    input.from === undefined
      ? new Date(to.getTime() - DEFAULT_REPORT_PERIOD_DAYS * DAY_MS)
      : parseMoment(fields.from, input.from);
  if (from.getTime() >= to.getTime()) {
    throw invalid(
      fields.from,
      `${fields.from} ${from.toISOString()} must be before ${fields.to} ${to.toISOString()}`,
    );
  }
  const days = (to.getTime() - from.getTime()) / DAY_MS;
  if (days > MAX_REPORT_PERIOD_DAYS) {
    throw invalid(
      fields.to,
      `${fields.from} ${from.toISOString()} to ${fields.to} ${to.toISOString()} spans ${
        Math.round(days * 10) / 10
      } days: a report covers at most ${MAX_REPORT_PERIOD_DAYS} days`,
    );
  }
  return { from, to };
}

function parseMoment(field: string, text: string): Date {
  const value = text.trim();
  if (DATE.test(value)) {
    if (!isCalendarDate(value)) {
      throw invalid(field, `${field} ${JSON.stringify(text)} is not a calendar date`);
    }
    return new Date(`${value}T00:00:00Z`);
  }
  const ms = TIMESTAMP.test(value) ? Date.parse(value) : NaN;
  if (Number.isNaN(ms)) {
    throw invalid(
      field,
      `${field} ${JSON.stringify(text)} must be an ISO 8601 timestamp with a time zone ` +
        '(2026-03-01T00:00:00Z) or a date (2026-03-01)',
    );
  }
  return new Date(ms);
}

function invalid(field: string, message: string): InvalidInputError {
  return new InvalidInputError(message, { details: [{ path: field, message }] });
}
