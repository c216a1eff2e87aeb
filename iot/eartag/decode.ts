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

type Failure = { readonly ok: false; readonly error: DecodeError };

/**
 * Where a field sits in the message: `lat`, `readings[3].lat`; an empty field names the item
 * itself (`readings[3]`, not `readings[3].`).
 */
function fieldAt(path: string, field: string): string {
  return path === '' ? field : field === '' ? path : `${path}.${field}`;
}

function failure(
  code: DecodeError['code'],
  path: string,
  field: string,
  value: unknown,
  message: string,
): Failure {
  return { ok: false, error: { code, field: fieldAt(path, field), value, message } };
}

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
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    return failure(
      'invalid_payload',
      path,
      '',
      input,
      `${path || 'reading'} must be a JSON object`,
    );
  }
  const raw = input as Record<string, unknown>;
  return decodeReadingFields(raw, raw['tagId'], limits, path);
}

/**
 * `decodeEarTagReading` of an object whose tag id is given apart (a single-reading topic names
 * its tag): the same checks, without copying the object to put the tag id in.
 */
export function decodeReadingFields(
  raw: Readonly<Record<string, unknown>>,
  tagId: unknown,
  limits: DecodeLimits,
  path = '',
): Result<EarTagReading, DecodeError> {
  if (tagId === undefined) {
    return failure(
      'missing_field',
      path,
      'tagId',
      undefined,
      `${fieldAt(path, 'tagId')} is required`,
    );
  }
  if (typeof tagId !== 'string' || !tagIdPattern.test(tagId)) {
    return failure(
      'invalid_payload',
      path,
      'tagId',
      tagId,
      `${fieldAt(path, 'tagId')} ${JSON.stringify(tagId)} must be 1-64 characters of letters, digits and . _ : - starting with a letter or digit`,
    );
  }

  const observedRaw = raw['observedAt'];
  if (observedRaw === undefined) {
    return failure(
      'missing_field',
      path,
      'observedAt',
      undefined,
      `${fieldAt(path, 'observedAt')} is required`,
    );
  }
  const observedAt =
    typeof observedRaw === 'string' && isoTimestamp.test(observedRaw)
      ? new Date(observedRaw)
      : null;
  const observedMs = observedAt === null ? Number.NaN : observedAt.getTime();
  if (observedAt === null || Number.isNaN(observedMs)) {
    return failure(
      'invalid_payload',
      path,
      'observedAt',
      observedRaw,
      `${fieldAt(path, 'observedAt')} ${JSON.stringify(observedRaw)} must be an ISO 8601 timestamp with a time zone`,
    );
  }
  const leadMs = observedMs - limits.now.getTime();
  if (leadMs > limits.maxFutureSkewMs) {
    return failure(
      'clock_skew',
      path,
      'observedAt',
      observedRaw,
      `${fieldAt(path, 'observedAt')} ${observedRaw} is ${Math.round(leadMs / 1000)} s in the future (at most ${limits.maxFutureSkewMs / 1000} s allowed)`,
    );
  }
  if (-leadMs > limits.maxAgeMs) {
    return failure(
      'clock_skew',
      path,
      'observedAt',
      observedRaw,
      `${fieldAt(path, 'observedAt')} ${observedRaw} is older than ${Math.round(limits.maxAgeMs / 3_600_000)} h`,
    );
  }

  // One field after the other, so the first bad one is the one reported.
  const lat = readRequired(raw, ranges.lat, path);
  if (isFailure(lat)) return lat;
  const lon = readRequired(raw, ranges.lon, path);
  if (isFailure(lon)) return lon;
  const temperatureC = readOptional(raw, ranges.temperatureC, path);
  if (isFailure(temperatureC)) return temperatureC;
  const activity = readOptional(raw, ranges.activity, path);
  if (isFailure(activity)) return activity;
  const batteryPct = readOptional(raw, ranges.batteryPct, path);
  if (isFailure(batteryPct)) return batteryPct;
  const rssi = readOptional(raw, ranges.rssi, path);
  if (isFailure(rssi)) return rssi;
  if (lat === 0 && lon === 0) {
    return failure(
      'null_island',
      path,
      'lat',
      [lat, lon],
      `${fieldAt(path, 'lat')}/${fieldAt(path, 'lon')} (0, 0) is a GPS fix failure, not a position`,
    );
  }

  return {
    ok: true,
    value: { tagId, observedAt, lat, lon, temperatureC, activity, batteryPct, rssi },
  };
}

function isFailure(value: number | null | Failure): value is Failure {
  return typeof value === 'object' && value !== null;
}

function readRequired(
  raw: Readonly<Record<string, unknown>>,
  field: Field,
  path: string,
): number | Failure {
  const value = raw[field.name];
  if (value === undefined || value === null) {
    return failure(
      'missing_field',
      path,
      field.name,
      value,
      `${fieldAt(path, field.name)} is required`,
    );
  }
  return checkRange(value, field, path);
}

/** An optional number: null when absent. */
function readOptional(
  raw: Readonly<Record<string, unknown>>,
  field: Field,
  path: string,
): number | null | Failure {
  const value = raw[field.name];
  return value === undefined || value === null ? null : checkRange(value, field, path);
}

function checkRange(value: unknown, field: Field, path: string): number | Failure {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    return failure(
      'invalid_payload',
      path,
      field.name,
      value,
      `${fieldAt(path, field.name)} ${JSON.stringify(value)} must be a number`,
    );
  }
  if (value < field.min || value > field.max) {
    return failure(
      'out_of_range',
      path,
      field.name,
      value,
      `${fieldAt(path, field.name)} ${value} out of range [${field.min}, ${field.max}]${field.unit ? ' ' + field.unit : ''}`,
    );
  }
  return value;
}
