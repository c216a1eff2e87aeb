import type { DecodeError, Result } from '../result.ts';
import type { DecodeLimits, EarTagReading } from './reading.ts';

const tagIdPattern = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/;
const isoTimestamp = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/;

type Field = {
  readonly name: string;
  readonly min: number;
  readonly max: number;
  readonly unit: string;
};
const ranges = {
  lat: { name: 'lat', min: -90, max: 90, unit: 'degrees' },
  lon: { name: 'lon', min: -180, max: 180, unit: 'degrees' },
  temperatureC: { name: 'temperatureC', min: -40, max: 60, unit: '°C' },
  activity: { name: 'activity', min: 0, max: 1e6, unit: '' },
  batteryPct: { name: 'batteryPct', min: 0, max: 100, unit: '%' },
  rssi: { name: 'rssi', min: -200, max: 0, unit: 'dBm' },
} as const satisfies Record<string, Field>;

/**
 * Decodes one ear-tag reading from parsed JSON. Checks shape, ranges, clock skew and (0,0) fixes,
 * and never throws: the error names the field (under `path`), the value and the rule.
 *
 * @example
 * decodeEarTagReading({ tagId: 'BE-0001', observedAt: '2026-11-22T10:00:00Z', lat: 50.8, lon: 3.02 },
 *   { now: new Date('2026-11-22T10:01:00Z'), maxFutureSkewMs: 300_000, maxAgeMs: 2_592_000_000 })
 */
export function decodeEarTagReading(
  input: unknown,
  limits: DecodeLimits,
  path = '',
): Result<EarTagReading, DecodeError> {
  // An empty field names the item itself: `readings[3]`, not `readings[3].`.
  const at = (field: string): string =>
    path === '' ? field : field === '' ? path : `${path}.${field}`;
  const fail = (code: DecodeError['code'], field: string, value: unknown, message: string) =>
    ({ ok: false, error: { code, field: at(field), value, message } }) as const;

  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    return fail('invalid_payload', '', input, `${path || 'reading'} must be a JSON object`);
  }
  const raw = input as Record<string, unknown>;

  const tagId = raw['tagId'];
  if (tagId === undefined)
    return fail('missing_field', 'tagId', undefined, `${at('tagId')} is required`);
  if (typeof tagId !== 'string' || !tagIdPattern.test(tagId)) {
    return fail(
      'invalid_payload',
      'tagId',
      tagId,
      `${at('tagId')} ${JSON.stringify(tagId)} must be 1-64 characters of letters, digits and . _ : - starting with a letter or digit`,
    );
  }

  const observedRaw = raw['observedAt'];
  if (observedRaw === undefined) {
    return fail('missing_field', 'observedAt', undefined, `${at('observedAt')} is required`);
  }
  const observedAt =
    typeof observedRaw === 'string' && isoTimestamp.test(observedRaw)
      ? new Date(observedRaw)
      : null;
  if (observedAt === null || Number.isNaN(observedAt.getTime())) {
    return fail(
      'invalid_payload',
      'observedAt',
      observedRaw,
      `${at('observedAt')} ${JSON.stringify(observedRaw)} must be an ISO 8601 timestamp with a time zone`,
    );
  }
  const leadMs = observedAt.getTime() - limits.now.getTime();
  if (leadMs > limits.maxFutureSkewMs) {
    return fail(
      'clock_skew',
      'observedAt',
      observedRaw,
      `${at('observedAt')} ${observedRaw} is ${Math.round(leadMs / 1000)} s in the future (at most ${limits.maxFutureSkewMs / 1000} s allowed)`,
    );
  }
  if (-leadMs > limits.maxAgeMs) {
    return fail(
      'clock_skew',
      'observedAt',
      observedRaw,
      `${at('observedAt')} ${observedRaw} is older than ${Math.round(limits.maxAgeMs / 3_600_000)} h`,
    );
  }

  const numbers: Partial<Record<keyof typeof ranges, number | null>> = {};
  for (const field of Object.values(ranges)) {
    const value = raw[field.name];
    const required = field.name === 'lat' || field.name === 'lon';
    if (value === undefined || value === null) {
      if (required)
        return fail('missing_field', field.name, value, `${at(field.name)} is required`);
      numbers[field.name] = null;
      continue;
    }
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      return fail(
        'invalid_payload',
        field.name,
        value,
        `${at(field.name)} ${JSON.stringify(value)} must be a number`,
      );
    }
    if (value < field.min || value > field.max) {
      return fail(
        'out_of_range',
        field.name,
        value,
        `${at(field.name)} ${value} out of range [${field.min}, ${field.max}]${field.unit ? ' ' + field.unit : ''}`,
      );
    }
    numbers[field.name] = value;
  }
  const lat = numbers.lat ?? 0;
  const lon = numbers.lon ?? 0;
  if (lat === 0 && lon === 0) {
    return fail(
      'null_island',
      'lat',
      [lat, lon],
      `${at('lat')}/${at('lon')} (0, 0) is a GPS fix failure, not a position`,
    );
  }

  return {
    ok: true,
    value: {
      tagId,
      observedAt,
      lat,
      lon,
      temperatureC: numbers.temperatureC ?? null,
      activity: numbers.activity ?? null,
      batteryPct: numbers.batteryPct ?? null,
      rssi: numbers.rssi ?? null,
    },
  };
}
