import { describe, expect, it } from 'vitest';
import { compareAlerts, severityAppearance, type OrderedAlert } from './alert-order.ts';

const alert = (
  id: string,
  severity: OrderedAlert['severity'],
  raisedAt: string,
  status: OrderedAlert['status'] = 'open',
): OrderedAlert => ({ id, severity, raisedAt, status });

describe('compareAlerts', () => {
  it('puts the worst first: severity, then open before acknowledged, then the newest', () => {
    const alerts = [
      alert('a', 'info', '2026-11-22T10:00:00Z'),
      alert('b', 'warning', '2026-11-22T09:00:00Z'),
      alert('c', 'critical', '2026-11-22T08:00:00Z', 'acknowledged'),
      alert('d', 'warning', '2026-11-22T11:00:00Z'),
      alert('e', 'critical', '2026-11-22T07:00:00Z'),
      alert('f', 'warning', '2026-11-22T12:00:00Z', 'acknowledged'),
    ];
    expect([...alerts].sort(compareAlerts).map((a) => a.id)).toEqual([
      'e',
      'c',
      'd',
      'b',
      'f',
      'a',
    ]);
  });
});

describe('severityAppearance', () => {
  it('gives each severity its own colour, mark and word', () => {
    const all = (['critical', 'warning', 'info'] as const).map(severityAppearance);
    expect(new Set(all.map((a) => a.color)).size).toBe(3);
    expect(new Set(all.map((a) => a.mark)).size).toBe(3);
    expect(all.map((a) => a.label)).toEqual(['critical', 'warning', 'info']);
  });
});
