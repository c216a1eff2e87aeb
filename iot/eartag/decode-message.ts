import { asJsonObject, parseJsonPayload } from '../json-payload.ts';
import type { DecodeError, Result } from '../result.ts';
import type { TopicMatch } from '../topics.ts';
import { decodeEarTagReading, decodeReadingFields } from './decode.ts';
import type { DecodeLimits, EarTagReading } from './reading.ts';

/** The topics that carry ear-tag readings. */
export type TagTopicMatch = Extract<TopicMatch, { kind: 'tag_reading' | 'tag_batch' }>;

/** One batch item that failed, by its index in `readings`; the others are kept. */
export interface RejectedItem {
  readonly index: number;
  readonly error: DecodeError;
}

/** A decoded message: the good readings, and the items refused with their reasons. */
export interface TagMessage {
  readonly readings: EarTagReading[];
  readonly rejected: RejectedItem[];
}

export interface TagMessageOptions {
  /** Largest payload accepted, checked before parsing. */
  readonly maxBytes: number;
}

/**
 * Decodes an ear-tag message from its topic and raw payload. Never throws.
 *
 * - `tag_reading` (`farms/{farmId}/tags/{tagId}/reading`): one reading; the tag id comes from the
 *   topic, and a `tagId` in the payload must agree with it. Any problem rejects the message.
 * - `tag_batch` (`farms/{farmId}/tags/reading-batch`): `{ readings: [...] }`, each item with its
 *   own `tagId`. A bad item lands in `rejected` (its error paths read `readings[3].lat`) and does
 *   not reject the good ones; only a bad envelope (size, JSON, no `readings` array) rejects the
 *   whole message.
 *
 * Order: size limit, UTF-8 and JSON parse, envelope, then each reading with
 * `decodeEarTagReading` (ranges, clock skew, (0,0) fixes).
 *
 * @example
 * decodeTagMessage({ kind: 'tag_reading', farmId: 'F-KRT-01', tagId: 'BE-1' },
 *   Buffer.from('{"observedAt":"2026-11-22T10:00:00Z","lat":50.8,"lon":3.02}'),
 *   { ...defaultDecodeLimits, now: new Date() }, { maxBytes: 65_536 })
 * // { ok: true, value: { readings: [{ tagId: 'BE-1', ... }], rejected: [] } }
 */
export function decodeTagMessage(
  match: TagTopicMatch,
  payload: Buffer,
  limits: DecodeLimits,
  options: TagMessageOptions,
): Result<TagMessage, DecodeError> {
  const parsed = parseJsonPayload(payload, options);
  if (!parsed.ok) return parsed;

  if (match.kind === 'tag_reading') {
    const object = asJsonObject(parsed.value, 'reading');
    if (!object.ok) return object;
    const { tagId } = object.value;
    if (tagId !== undefined && tagId !== match.tagId) {
      return {
        ok: false,
        error: {
          code: 'invalid_payload',
          field: 'tagId',
          value: tagId,
          message: `tagId ${JSON.stringify(tagId)} does not match the topic's tag ${JSON.stringify(match.tagId)}`,
        },
      };
    }
    const reading = decodeReadingFields(object.value, match.tagId, limits);
    if (!reading.ok) return reading;
    return { ok: true, value: { readings: [reading.value], rejected: [] } };
  }

  const envelope = asJsonObject(parsed.value, 'batch');
  if (!envelope.ok) return envelope;
  const items = envelope.value['readings'];
  if (items === undefined) {
    return {
      ok: false,
      error: {
        code: 'missing_field',
        field: 'readings',
        value: undefined,
        message: 'readings is required',
      },
    };
  }
  if (!Array.isArray(items)) {
    return {
      ok: false,
      error: {
        code: 'invalid_payload',
        field: 'readings',
        value: items,
        message: `readings must be an array, got ${items === null ? 'null' : typeof items}`,
      },
    };
  }

  const readings: EarTagReading[] = [];
  const rejected: RejectedItem[] = [];
  items.forEach((item: unknown, index) => {
    const path = `readings[${index}]`;
    try {
      const result = decodeEarTagReading(item, limits, path);
      if (result.ok) readings.push(result.value);
      else rejected.push({ index, error: withItemPath(result.error, path) });
    } catch (error) {
      // decodeEarTagReading does not throw; if it ever does, this item is refused, not the batch.
      rejected.push({
        index,
        error: {
          code: 'invalid_payload',
          field: path,
          value: item,
          message: `${path} could not be decoded: ${error instanceof Error ? error.message : String(error)}`,
        },
      });
    }
  });
  return { ok: true, value: { readings, rejected } };
}

/**
 * `decodeEarTagReading` names a whole-item problem (not an object) `readings[3].`; the field of
 * such an error is the item itself, `readings[3]`.
 */
function withItemPath(error: DecodeError, path: string): DecodeError {
  return error.field === `${path}.` ? { ...error, field: path } : error;
}
