import { describe, expect, it } from 'vitest';
import type { DecodeLimits } from '../eartag/reading.ts';
import { decodeCameraCount } from './decode.ts';

const limits: DecodeLimits = {
  now: new Date('2026-11-22T10:00:00Z'),
  maxFutureSkewMs: 300_000,
  maxAgeMs: 30 * 24 * 3_600_000,
};
const match = { kind: 'camera_count', farmId: 'F-KRT-01', cameraId: 'CAM-2' } as const;
const good = { observedAt: '2026-11-22T09:59:30Z', species: 'cattle', count: 41 };

function decode(value: unknown, maxBytes = 4096) {
  return decodeCameraCount(match, Buffer.from(JSON.stringify(value)), limits, { maxBytes });
}

function errorOf(value: unknown): string {
  const result = decode(value);
  if (result.ok) throw new Error('expected a rejection');
  return `${result.error.code} ${result.error.field}: ${result.error.message}`;
}

describe('decodeCameraCount', () => {
  it('decodes a full count', () => {
    expect(decode({ ...good, confidence: 0.93, zone: 'north paddock' })).toEqual({
      ok: true,
      value: {
        cameraId: 'CAM-2',
        observedAt: new Date('2026-11-22T09:59:30Z'),
        species: 'cattle',
        headCount: 41,
        confidence: 0.93,
        zone: 'north paddock',
      },
    });
  });

  it('fills absent optional fields with null and accepts the bounds', () => {
    expect(decode({ ...good, count: 0 })).toMatchObject({
      ok: true,
      value: { headCount: 0, confidence: null, zone: null },
    });
    expect(decode({ ...good, count: 100_000, confidence: 1, zone: 'z'.repeat(64) }).ok).toBe(true);
    expect(decode({ ...good, confidence: 0, cameraId: 'CAM-2' }).ok).toBe(true);
  });

  it.each([
    [{ ...good, count: -1 }, 'out_of_range count: count -1 out of range [0, 100000]'],
    [{ ...good, count: 100_001 }, 'out_of_range count: count 100001 out of range [0, 100000]'],
    [{ ...good, count: 4.5 }, 'invalid_payload count: count 4.5 must be an integer'],
    [{ ...good, count: '41' }, 'invalid_payload count: count "41" must be an integer'],
    [{ ...good, count: undefined }, 'missing_field count: count is required'],
    [
      { ...good, species: 'llama' },
      'invalid_payload species: species "llama" must be one of cattle, sheep, goat, pig, horse',
    ],
    [
      { ...good, species: 'Cattle' },
      'invalid_payload species: species "Cattle" must be one of cattle, sheep, goat, pig, horse',
    ],
    [{ ...good, species: undefined }, 'missing_field species: species is required'],
    [{ ...good, confidence: 1.2 }, 'out_of_range confidence: confidence 1.2 out of range [0, 1]'],
    [{ ...good, confidence: -0.1 }, 'out_of_range confidence: confidence -0.1 out of range [0, 1]'],
    [
      { ...good, confidence: 'high' },
      'invalid_payload confidence: confidence "high" must be a number',
    ],
    [
      { ...good, zone: 'z'.repeat(65) },
      `out_of_range zone: zone "${'z'.repeat(65)}" must be 1-64 characters, got 65`,
    ],
    [{ ...good, zone: '' }, 'out_of_range zone: zone "" must be 1-64 characters, got 0'],
    [{ ...good, zone: 7 }, 'invalid_payload zone: zone 7 must be a string'],
    [
      { ...good, observedAt: '2026-11-22T10:10:00Z' },
      'clock_skew observedAt: observedAt 2026-11-22T10:10:00Z is 600 s in the future (at most 300 s allowed)',
    ],
    [
      { ...good, observedAt: '2026-10-01T00:00:00Z' },
      'clock_skew observedAt: observedAt 2026-10-01T00:00:00Z is older than 720 h',
    ],
    [
      { ...good, observedAt: 1763805600 },
      'invalid_payload observedAt: observedAt 1763805600 must be an ISO 8601 timestamp with a time zone',
    ],
    [{ ...good, observedAt: undefined }, 'missing_field observedAt: observedAt is required'],
    [
      { ...good, cameraId: 'CAM-3' },
      'invalid_payload cameraId: cameraId "CAM-3" does not match the topic\'s camera "CAM-2"',
    ],
    [[good], 'invalid_payload : camera count must be a JSON object, got an array'],
  ])('rejects %j', (value, message) => {
    expect(errorOf(value)).toBe(message);
  });

  it('checks the size limit before parsing', () => {
    const result = decode({ ...good, zone: 'z'.repeat(200) }, 100);
    expect(!result.ok && result.error.message).toMatch(
      /^payload \d+ bytes exceeds the limit of 100 bytes$/,
    );
  });
});
