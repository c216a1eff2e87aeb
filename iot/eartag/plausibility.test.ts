import { describe, expect, it } from 'vitest';
import { checkFixPlausibility, type TagFix } from './plausibility.ts';

const fix = (iso: string, lat: number, lon: number): TagFix => ({
  observedAt: new Date(iso),
  lat,
  lon,
});
const start = fix('2017-12-12T00:00:00Z', 43.6, -116.2);

describe('checkFixPlausibility', () => {
  it('accepts the first fix of a tag', () => {
    expect(checkFixPlausibility(null, start)).toEqual({ ok: true, kind: 'accept' });
  });

  it('accepts grazing speed', () => {
    // about 110 m in 5 minutes: 1.3 km/h
    expect(checkFixPlausibility(start, fix('2017-12-12T00:05:00Z', 43.601, -116.2)).ok).toBe(true);
  });

  it('rejects a truck ride at 100 km/h with the speed and the limit', () => {
    // 0.075 degrees of latitude is about 8.34 km; in 5 minutes that is about 100 km/h
    const verdict = checkFixPlausibility(start, fix('2017-12-12T00:05:00Z', 43.675, -116.2));
    expect(verdict).toMatchObject({ ok: false, code: 'impossible_jump', limitKmh: 60 });
    if (verdict.ok) throw new Error('expected a rejection');
    expect(verdict.speedKmh).toBeCloseTo(100.1, 0);
    expect(verdict.message).toMatch(/implied speed 100\.\d km\/h .* exceeds the limit of 60 km\/h/);
  });

  it('takes the limit from the options', () => {
    const next = fix('2017-12-12T00:05:00Z', 43.675, -116.2);
    expect(checkFixPlausibility(start, next, { maxSpeedKmh: 120 }).ok).toBe(true);
    expect(checkFixPlausibility(start, next, { maxSpeedKmh: 20 })).toMatchObject({ limitKmh: 20 });
  });

  it('accepts an exact duplicate (a redelivery) and names it', () => {
    expect(checkFixPlausibility(start, { ...start })).toEqual({ ok: true, kind: 'duplicate' });
  });

  it('rejects the same timestamp at another position as duplicate_conflict', () => {
    const verdict = checkFixPlausibility(start, fix('2017-12-12T00:00:00Z', 43.6001, -116.2));
    expect(verdict).toMatchObject({ ok: false, code: 'duplicate_conflict', speedKmh: null });
    if (verdict.ok) throw new Error('expected a rejection');
    expect(verdict.message).toMatch(/already has a fix at \(43\.6, -116\.2\)/);
  });

  it('accepts an older fix without a jump check (out of order)', () => {
    expect(checkFixPlausibility(start, fix('2017-12-11T23:59:00Z', 44.6, -116.2))).toEqual({
      ok: true,
      kind: 'out_of_order',
    });
  });

  it('measures across the antimeridian the short way', () => {
    const a = fix('2017-12-12T00:00:00Z', -17, 179.9999);
    const b = fix('2017-12-12T01:00:00Z', -17, -179.9999);
    expect(checkFixPlausibility(a, b).ok).toBe(true);
  });
});
