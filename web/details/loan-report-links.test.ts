import { describe, expect, it } from 'vitest';
import {
  defaultReportDates,
  isReportPeriod,
  readReportPeriod,
  reportUrl,
  type ReportPeriod,
} from './loan-report-links.ts';

// Local times: the date inputs are the officer's calendar days in the browser's time zone.
const now = new Date(2026, 7, 24, 15, 30);

describe('the report period', () => {
  it('defaults to the last 90 days, today included', () => {
    expect(defaultReportDates(now)).toEqual({ from: '2026-05-26', to: '2026-08-24' });
  });

  it('runs from the first day’s midnight to the midnight after the last day', () => {
    expect(readReportPeriod('2026-05-01', '2026-07-31', now)).toEqual({
      from: new Date(2026, 4, 1),
      to: new Date(2026, 7, 1),
    });
    // One day is a period.
    expect(readReportPeriod('2026-06-10', '2026-06-10', now)).toEqual({
      from: new Date(2026, 5, 10),
      to: new Date(2026, 5, 11),
    });
  });

  it('ends now when the last day is today or later', () => {
    expect(readReportPeriod('2026-05-26', '2026-08-24', now)).toEqual({
      from: new Date(2026, 4, 26),
      to: now,
    });
    expect(readReportPeriod('2026-08-01', '2026-12-31', now)).toMatchObject({ to: now });
  });

  it('refuses a period that ends before it starts, naming both days', () => {
    expect(readReportPeriod('2026-07-02', '2026-07-01', now)).toEqual({
      field: 'from',
      message: 'from 2026-07-02 is after to 2026-07-01: the period must start before it ends',
    });
  });

  it('refuses missing, malformed and impossible days, a start in the future and over 400 days', () => {
    expect(readReportPeriod('', '2026-07-01', now)).toMatchObject({ field: 'from' });
    expect(readReportPeriod('2026-02-30', '2026-07-01', now)).toEqual({
      field: 'from',
      message: 'from “2026-02-30” is not a date: pick a day (yyyy-mm-dd)',
    });
    expect(readReportPeriod('2026-07-01', '01/08/2026', now)).toMatchObject({ field: 'to' });
    expect(readReportPeriod('2026-08-25', '2026-08-30', now)).toMatchObject({
      field: 'from',
      message: expect.stringContaining('in the future') as string,
    });
    expect(readReportPeriod('2025-01-01', '2026-02-05', now)).toEqual({
      field: 'to',
      message: 'from 2025-01-01 to 2026-02-05 spans 401 days: a report covers at most 400 days',
    });
    expect(readReportPeriod('2025-01-01', '2026-02-04', now)).toMatchObject({
      from: new Date(2025, 0, 1),
    });
    expect(isReportPeriod(readReportPeriod('2026-07-02', '2026-07-01', now))).toBe(false);
  });
});

describe('reportUrl', () => {
  it('asks the loan’s report for the period in the format, as ISO timestamps', () => {
    const period: ReportPeriod = {
      from: new Date('2026-05-01T00:00:00Z'),
      to: new Date('2026-08-01T00:00:00Z'),
    };
    const url = new URL(
      reportUrl('6f1c0d6e-1111-4222-8333-444455556666', period, 'pdf'),
      'http://x',
    );
    expect(url.pathname).toBe('/api/loans/6f1c0d6e-1111-4222-8333-444455556666/report');
    expect(Object.fromEntries(url.searchParams)).toEqual({
      from: '2026-05-01T00:00:00.000Z',
      to: '2026-08-01T00:00:00.000Z',
      format: 'pdf',
    });
    expect(isReportPeriod(period)).toBe(true);
  });
});
