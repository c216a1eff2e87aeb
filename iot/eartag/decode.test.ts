import { describe, expect, it } from 'vitest';
import { decodeEarTagReading } from './decode.ts';
import type { DecodeLimits } from './reading.ts';

const limits: DecodeLimits = {
  now: new Date('2026-11-22T10:00:00Z'),
  maxFutureSkewMs: 300_000,
  maxAgeMs: 30 * 24 * 3_600_000,
};
const good = {
  tagId: '056000000000123',
  observedAt: '2026-11-22T09:58:00Z',
  lat: 50.8159,
  lon: 3.0238,
  temperatureC: 38.7,
  activity: 12,
  batteryPct: 81,
  rssi: -77,
};

function errorOf(input: unknown): string {
  const result = decodeEarTagReading(input, limits, 'readings[2]');
  if (result.ok) throw new Error('expected a rejection');
  return `${result.error.code}: ${result.error.message}`;
}

describe('decodeEarTagReading', () => {
  it('decodes a full reading', () => {
    const result = decodeEarTagReading(good, limits);
    expect(result).toEqual({
      ok: true,
      value: { ...good, observedAt: new Date('2026-11-22T09:58:00Z') },
    });
  });

  it('fills absent optional fields with null', () => {
    const result = decodeEarTagReading(
      { tagId: 'BE-1', observedAt: '2026-11-22T09:58:00+01:00', lat: 50.8, lon: 3 },
      limits,
    );
    expect(result.ok && result.value).toMatchObject({
      temperatureC: null,
      activity: null,
      batteryPct: null,
      rssi: null,
    });
  });

  it.each([
    [null, 'invalid_payload: readings[2] must be a JSON object'],
    [[1], 'invalid_payload: readings[2] must be a JSON object'],
    [{ ...good, tagId: undefined }, 'missing_field: readings[2].tagId is required'],
    [
      { ...good, tagId: 'has space' },
      'invalid_payload: readings[2].tagId "has space" must be 1-64 characters',
    ],
    [
      { ...good, observedAt: '22/11/2026' },
      'invalid_payload: readings[2].observedAt "22/11/2026" must be an ISO 8601 timestamp',
    ],
    [
      { ...good, observedAt: '2026-11-22T09:58:00' },
      'invalid_payload: readings[2].observedAt "2026-11-22T09:58:00" must be an ISO 8601 timestamp with a time zone',
    ],
    [
      { ...good, observedAt: '2026-11-22T10:10:00Z' },
      'clock_skew: readings[2].observedAt 2026-11-22T10:10:00Z is 600 s in the future (at most 300 s allowed)',
    ],
    [
      { ...good, observedAt: '2016-01-01T00:00:00Z' },
      'clock_skew: readings[2].observedAt 2016-01-01T00:00:00Z is older than 720 h',
    ],
    [{ ...good, lat: 91 }, 'out_of_range: readings[2].lat 91 out of range [-90, 90] degrees'],
    [
      { ...good, lon: -180.5 },
      'out_of_range: readings[2].lon -180.5 out of range [-180, 180] degrees',
    ],
    [{ ...good, lat: '50.8' }, 'invalid_payload: readings[2].lat "50.8" must be a number'],
    [{ ...good, lat: undefined }, 'missing_field: readings[2].lat is required'],
    [
      { ...good, lat: 0, lon: 0 },
      'null_island: readings[2].lat/readings[2].lon (0, 0) is a GPS fix failure',
    ],
    [
      { ...good, batteryPct: 101 },
      'out_of_range: readings[2].batteryPct 101 out of range [0, 100] %',
    ],
    [
      { ...good, temperatureC: 75 },
      'out_of_range: readings[2].temperatureC 75 out of range [-40, 60] °C',
    ],
    [{ ...good, rssi: 5 }, 'out_of_range: readings[2].rssi 5 out of range [-200, 0] dBm'],
  ])('rejects %j with a reason', (input, expected) => {
    expect(errorOf(input)).toContain(expected);
  });

  it('accepts the boundaries themselves', () => {
    const atEdges = {
      ...good,
      lat: -90,
      lon: 180,
      batteryPct: 0,
      observedAt: '2026-11-22T10:05:00Z',
    };
    expect(decodeEarTagReading(atEdges, limits).ok).toBe(true);
  });
});
