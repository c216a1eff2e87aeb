import type { DecodeError, Result } from './result.ts';

const isoTimestamp = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/;

export interface TimestampLimits {
  /** The receiving clock. */
  readonly now: Date;
  /** Largest allowed lead over `now` (device clocks run fast). */
  readonly maxFutureSkewMs: number;
  /** Oldest accepted; omit to accept any age. */
  readonly maxAgeMs?: number;
}

/**
 * Decodes a device timestamp: an ISO 8601 string with a time zone, not too far in the future, and
 * (when `maxAgeMs` is given) not too old. Same rules and messages as ear-tag `observedAt`.
 *
 * @example
 * decodeTimestamp('2026-11-22T10:00:00Z', 'observedAt', { now, maxFutureSkewMs: 300_000 })
 */
export function decodeTimestamp(
  raw: unknown,
  field: string,
  limits: TimestampLimits,
): Result<Date, DecodeError> {
  const fail = (code: DecodeError['code'], message: string) =>
    ({ ok: false, error: { code, field, value: raw, message } }) as const;

  if (raw === undefined) return fail('missing_field', `${field} is required`);
  const at = typeof raw === 'string' && isoTimestamp.test(raw) ? new Date(raw) : null;
  if (at === null || Number.isNaN(at.getTime())) {
    return fail(
      'invalid_payload',
      `${field} ${JSON.stringify(raw)} must be an ISO 8601 timestamp with a time zone`,
    );
  }
  const leadMs = at.getTime() - limits.now.getTime();
  if (leadMs > limits.maxFutureSkewMs) {
    return fail(
      'clock_skew',
      `${field} ${String(raw)} is ${Math.round(leadMs / 1000)} s in the future (at most ${limits.maxFutureSkewMs / 1000} s allowed)`,
    );
  }
  if (limits.maxAgeMs !== undefined && -leadMs > limits.maxAgeMs) {
    return fail(
      'clock_skew',
      `${field} ${String(raw)} is older than ${Math.round(limits.maxAgeMs / 3_600_000)} h`,
    );
  }
  return { ok: true, value: at };
}
