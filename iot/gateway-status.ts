import { asJsonObject, parseJsonPayload } from './json-payload.ts';
import type { DecodeError, Result } from './result.ts';
import { decodeTimestamp } from './timestamp.ts';
import type { TopicMatch } from './topics.ts';

/** A gateway's status message, also its last will (`{ "status": "offline" }`). */
export interface GatewayStatus {
  /** From the topic, `farms/{farmId}/gateways/{gatewayId}/status`. */
  readonly gatewayId: string;
  readonly status: 'online' | 'offline';
  /** When the gateway says this became true (its clock), if it says. */
  readonly at: Date | null;
}

export interface GatewayStatusLimits {
  /** The receiving clock. */
  readonly now: Date;
  /** Largest allowed lead of `at` over now. */
  readonly maxFutureSkewMs: number;
}

export interface GatewayStatusOptions {
  /** Largest payload accepted, checked before parsing. */
  readonly maxBytes: number;
}

/**
 * Decodes `{ status: 'online' | 'offline', at? }` from a gateway status topic. Never throws.
 *
 * `at` may be in the future by at most `maxFutureSkewMs`, but has no age limit: a last will is
 * written when the gateway connects and published by the broker when it drops, possibly days later.
 *
 * @example
 * decodeGatewayStatus({ kind: 'gateway_status', farmId: 'F-KRT-01', gatewayId: 'GW-1' },
 *   Buffer.from('{"status":"offline"}'), { now: new Date(), maxFutureSkewMs: 300_000 },
 *   { maxBytes: 1024 }) // { ok: true, value: { gatewayId: 'GW-1', status: 'offline', at: null } }
 */
export function decodeGatewayStatus(
  match: Extract<TopicMatch, { kind: 'gateway_status' }>,
  payload: Buffer,
  limits: GatewayStatusLimits,
  options: GatewayStatusOptions,
): Result<GatewayStatus, DecodeError> {
  const parsed = parseJsonPayload(payload, options);
  if (!parsed.ok) return parsed;
  const object = asJsonObject(parsed.value, 'gateway status');
  if (!object.ok) return object;

  const status = object.value['status'];
  if (status === undefined) {
    return {
      ok: false,
      error: {
        code: 'missing_field',
        field: 'status',
        value: status,
        message: 'status is required',
      },
    };
  }
  if (status !== 'online' && status !== 'offline') {
    return {
      ok: false,
      error: {
        code: 'invalid_payload',
        field: 'status',
        value: status,
        message: `status ${JSON.stringify(status)} must be "online" or "offline"`,
      },
    };
  }

  const rawAt = object.value['at'] ?? null;
  let at: Date | null = null;
  if (rawAt !== null) {
    const decoded = decodeTimestamp(rawAt, 'at', limits);
    if (!decoded.ok) return decoded;
    at = decoded.value;
  }
  return { ok: true, value: { gatewayId: match.gatewayId, status, at } };
}
