import { describe, expect, it } from 'vitest';
import { mayReadAlerts, type AlertReader } from './mqtt-alert-readers.ts';

describe('mayReadAlerts', () => {
  const krt: AlertReader = { kind: 'alert_reader', userId: 'u', branchCode: 'KRT' };
  const admin: AlertReader = { kind: 'alert_reader', userId: 'a', branchCode: null };

  it('lets a reader subscribe to its own branch only', () => {
    expect(mayReadAlerts(krt, 'pledgewatch/alerts/KRT/F-KRT-01')).toBe(true);
    expect(mayReadAlerts(krt, 'pledgewatch/alerts/KRT/+')).toBe(true);
    expect(mayReadAlerts(krt, 'pledgewatch/alerts/KRT/#')).toBe(true);
    expect(mayReadAlerts(krt, 'pledgewatch/alerts/AAL/F-AAL-01')).toBe(false);
    expect(mayReadAlerts(krt, 'pledgewatch/alerts/+/F-AAL-01')).toBe(false);
    expect(mayReadAlerts(krt, 'pledgewatch/alerts/#')).toBe(false);
    expect(mayReadAlerts(krt, 'pledgewatch/alerts/KRT')).toBe(false);
    expect(mayReadAlerts(krt, 'pledgewatch/alerts/KRT/x/y')).toBe(false);
    expect(mayReadAlerts(krt, 'farms/F-KRT-01/eartag/1')).toBe(false);
    expect(mayReadAlerts(krt, '$share/g/pledgewatch/alerts/KRT/+')).toBe(false);
    expect(mayReadAlerts(krt, '#')).toBe(false);
  });

  it('lets an admin read every branch, alert topics only', () => {
    expect(mayReadAlerts(admin, 'pledgewatch/alerts/#')).toBe(true);
    expect(mayReadAlerts(admin, 'pledgewatch/alerts/AAL/+')).toBe(true);
    expect(mayReadAlerts(admin, '#')).toBe(false);
    expect(mayReadAlerts(admin, 'farms/#')).toBe(false);
  });
});
