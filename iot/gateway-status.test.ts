import { describe, expect, it } from 'vitest';
import { decodeGatewayStatus } from './gateway-status.ts';

const limits = { now: new Date('2026-11-22T10:00:00Z'), maxFutureSkewMs: 300_000 };
const match = { kind: 'gateway_status', farmId: 'F-KRT-01', gatewayId: 'GW-1' } as const;

function decode(payload: string) {
  return decodeGatewayStatus(match, Buffer.from(payload), limits, { maxBytes: 256 });
}

describe('decodeGatewayStatus', () => {
  it('decodes the last will and an online message with its time', () => {
    expect(decode('{"status":"offline"}')).toEqual({
      ok: true,
      value: { gatewayId: 'GW-1', status: 'offline', at: null },
    });
    expect(decode('{"status":"online","at":"2026-11-22T09:59:59Z"}')).toEqual({
      ok: true,
      value: { gatewayId: 'GW-1', status: 'online', at: new Date('2026-11-22T09:59:59Z') },
    });
  });

  it('accepts an old `at`: a will is written long before it is published', () => {
    expect(decode('{"status":"offline","at":"2026-01-01T00:00:00Z"}').ok).toBe(true);
  });

  it.each([
    [
      '{"status":"rebooting"}',
      'invalid_payload status: status "rebooting" must be "online" or "offline"',
    ],
    ['{"state":"online"}', 'missing_field status: status is required'],
    ['"offline"', 'invalid_payload : gateway status must be a JSON object, got string'],
    ['offline', 'invalid_payload : payload is not valid JSON: '],
    [
      '{"status":"online","at":"yesterday"}',
      'invalid_payload at: at "yesterday" must be an ISO 8601 timestamp with a time zone',
    ],
    [
      '{"status":"online","at":"2026-11-22T11:00:00Z"}',
      'clock_skew at: at 2026-11-22T11:00:00Z is 3600 s in the future (at most 300 s allowed)',
    ],
    [
      `{"status":"online","pad":"${'x'.repeat(300)}"}`,
      'invalid_payload : payload 328 bytes exceeds the limit of 256 bytes',
    ],
  ])('rejects %s', (payload, message) => {
    const result = decode(payload);
    if (result.ok) throw new Error('expected a rejection');
    expect(`${result.error.code} ${result.error.field}: ${result.error.message}`).toContain(
      message,
    );
  });
});
