import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../errors.ts';
import { parseReportPeriod } from './report-period.ts';

const now = new Date('2026-11-22T16:00:00Z');
const fields = { from: 'query.from', to: 'query.to' };

function problem(input: { from?: string; to?: string }): string {
  try {
    parseReportPeriod(input, { now, fields });
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidInputError);
    return (error as Error).message;
  }
  throw new Error(`${JSON.stringify(input)} was accepted`);
}

describe('parseReportPeriod', () => {
  it('defaults to the 90 days before now', () => {
    expect(parseReportPeriod({}, { now, fields })).toEqual({
      from: new Date('2026-08-24T16:00:00Z'),
      to: now,
    });
  });

  it('reads dates as midnight UTC and timestamps with their offset', () => {
    expect(
      parseReportPeriod({ from: '2026-01-01', to: '2026-04-01T12:00:00+02:00' }, { now, fields }),
    ).toEqual({ from: new Date('2026-01-01T00:00:00Z'), to: new Date('2026-04-01T10:00:00Z') });
  });

  it('names the field, the value and the rule', () => {
    expect(problem({ from: 'last week' })).toBe(
      'query.from "last week" must be an ISO 8601 timestamp with a time zone (2026-03-01T00:00:00Z) or a date (2026-03-01)',
    );
    expect(problem({ to: '2026-04-01T10:00:00' })).toContain('query.to "2026-04-01T10:00:00"');
    expect(problem({ from: '2026-02-29' })).toBe('query.from "2026-02-29" is not a calendar date');
    expect(problem({ from: '2026-04-01', to: '2026-04-01' })).toBe(
      'query.from 2026-04-01T00:00:00.000Z must be before query.to 2026-04-01T00:00:00.000Z',
    );
    expect(problem({ from: '2025-01-01', to: '2026-02-06' })).toBe(
      'query.from 2025-01-01T00:00:00.000Z to query.to 2026-02-06T00:00:00.000Z spans 401 days: a report covers at most 400 days',
    );
  });

  it('takes exactly 400 days', () => {
    expect(
      parseReportPeriod({ from: '2025-01-01', to: '2026-02-05' }, { now, fields }).from,
    ).toEqual(new Date('2025-01-01T00:00:00Z'));
  });
});
