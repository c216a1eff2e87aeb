import { describe, expect, it } from 'vitest';
import { readValuationMoment, startOfDay, toDateInputValue } from './loan-dates.ts';

// Local times: the date inputs are the officer's calendar days in the browser's time zone.
const now = new Date(2026, 10, 22, 9, 15);

describe('the loan panel’s days', () => {
  it('reads a yyyy-mm-dd day as its local midnight, and refuses days that do not exist', () => {
    expect(startOfDay('2026-09-30')).toEqual(new Date(2026, 8, 30));
    expect(startOfDay('2026-09-31')).toBeNull();
    expect(startOfDay('30/09/2026')).toBeNull();
    expect(toDateInputValue(new Date(2026, 0, 5, 23, 59))).toBe('2026-01-05');
  });

  it('values a past day at its end, and today at now', () => {
    expect(readValuationMoment('2026-09-30', now)).toEqual(new Date(2026, 8, 30, 23, 59, 59, 999));
    expect(readValuationMoment('2026-11-22', now)).toEqual(now);
  });

  it('refuses a day in the future or no day, naming the value', () => {
    expect(readValuationMoment('2026-11-23', now)).toEqual({
      message: 'valued at 2026-11-23 is in the future: pick today or a day before',
    });
    expect(readValuationMoment('', now)).toEqual({
      message: 'valued at “” is not a date: pick a day (yyyy-mm-dd)',
    });
  });
});
