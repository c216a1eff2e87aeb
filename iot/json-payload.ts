import type { DecodeError, Result } from './result.ts';

export interface JsonPayloadOptions {
  /** Largest payload accepted, checked before anything else is done with it. */
  readonly maxBytes: number;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });
const excerptChars = 64;

function excerpt(text: string): string {
  return text.length > excerptChars ? `${text.slice(0, excerptChars)}…` : text;
}

/**
 * Turns an MQTT payload into parsed JSON: size limit first, then strict UTF-8, then `JSON.parse`.
 * Never throws; the error names the payload, the offending value and the rule.
 *
 * @example
 * parseJsonPayload(Buffer.from('{"lat":1}'), { maxBytes: 65_536 }) // { ok: true, value: { lat: 1 } }
 */
export function parseJsonPayload(
  payload: Buffer,
  options: JsonPayloadOptions,
): Result<unknown, DecodeError> {
  if (payload.length > options.maxBytes) {
    return invalidPayload(
      payload.length,
      `payload ${payload.length} bytes exceeds the limit of ${options.maxBytes} bytes`,
    );
  }
  if (payload.length === 0) return invalidPayload('', 'payload is empty: expected a JSON object');
  let text: string;
  try {
    text = utf8.decode(payload);
  } catch {
    return invalidPayload(
      payload.subarray(0, excerptChars).toString('hex'),
      'payload is not valid UTF-8',
    );
  }
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    return invalidPayload(excerpt(text), `payload is not valid JSON: ${reason}`);
  }
}

function invalidPayload(value: unknown, message: string): Result<never, DecodeError> {
  return { ok: false, error: { code: 'invalid_payload', field: '', value, message } };
}

/** Narrows parsed JSON to a plain object, or says what it was instead. */
export function asJsonObject(
  value: unknown,
  what: string,
): Result<Record<string, unknown>, DecodeError> {
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    return { ok: true, value: value as Record<string, unknown> };
  }
  const kind = Array.isArray(value) ? 'an array' : value === null ? 'null' : typeof value;
  return {
    ok: false,
    error: {
      code: 'invalid_payload',
      field: '',
      value,
      message: `${what} must be a JSON object, got ${kind}`,
    },
  };
}
