import { describe, expect, it } from 'vitest';
import { computeBackoffMs } from './backoff.ts';

describe('computeBackoffMs', () => {
  const options = { baseMs: 1000, maxMs: 60_000 };

  it('doubles the ceiling per try, capped, with full jitter below it', () => {
    const top = () => 0.999999;
    expect(computeBackoffMs(1, options, top)).toBe(999);
    expect(computeBackoffMs(2, options, top)).toBe(1999);
    expect(computeBackoffMs(4, options, top)).toBe(7999);
    expect(computeBackoffMs(7, options, top)).toBe(59_999);
    expect(computeBackoffMs(500, options, top)).toBe(59_999);
    expect(computeBackoffMs(3, options, () => 0)).toBe(0);
    expect(computeBackoffMs(3, options, () => 0.5)).toBe(2000);
  });

  it('spreads retries over the whole window', () => {
    const waits = Array.from({ length: 200 }, () => computeBackoffMs(5, options));
    expect(Math.min(...waits)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...waits)).toBeLessThan(16_000);
    expect(new Set(waits).size).toBeGreaterThan(100);
  });
});
