import { describe, expect, it } from 'vitest';
import { severityAppearance } from '../alerts/alert-order.ts';
import { coverageAppearance } from './coverage-level.ts';

describe('coverageAppearance', () => {
  it('grades a ratio by the coverage rule’s thresholds, in the alerts panel’s colours', () => {
    expect(coverageAppearance(0.999)).toMatchObject({
      level: 'critical',
      color: severityAppearance('critical').color,
      text: '0.999 × the balance (99.9 %) · ‼ critical: below 1.0',
    });
    expect(coverageAppearance(1)).toMatchObject({
      level: 'warning',
      color: severityAppearance('warning').color,
      text: '1.00 × the balance (100 %) · ! warning: below 1.2',
    });
    expect(coverageAppearance(1.199).level).toBe('warning');
    expect(coverageAppearance(1.2)).toMatchObject({ level: 'covered', mark: '✓' });
    expect(coverageAppearance(3.456).text).toBe(
      '3.456 × the balance (345.6 %) · ✓ covered (at least 1.2)',
    );
  });

  it('says so when there is no balance to cover', () => {
    expect(coverageAppearance(null)).toMatchObject({
      level: 'no_balance',
      text: 'no balance outstanding',
    });
  });

  it('always says the level in words, not only in colour', () => {
    for (const ratio of [0.5, 1.1, 2, null])
      expect(coverageAppearance(ratio).text).toMatch(/critical|warning|covered|no balance/);
  });
});
