import type { DecodeLimits } from '../eartag/reading.ts';
import { asJsonObject, parseJsonPayload } from '../json-payload.ts';
import type { DecodeError, Result } from '../result.ts';
import { decodeTimestamp } from '../timestamp.ts';
import type { TopicMatch } from '../topics.ts';
import {
  cameraCountRanges,
  cameraSpecies,
  type CameraCountReading,
  type CameraSpecies,
} from './count.ts';

export interface CameraCountOptions {
  /** Largest payload accepted, checked before parsing. */
  readonly maxBytes: number;
}

/**
 * Decodes a camera count from `farms/{farmId}/cameras/{cameraId}/count`. The payload is JSON
 * `{ observedAt, species, count, confidence?, zone? }`; the camera id comes from the topic, and a
 * `cameraId` in the payload must agree with it. Never throws: the error names the field, the value
 * and the rule.
 *
 * Rules: size limit first; `observedAt` as for ear tags (ISO 8601 with a zone, clock skew within
 * `limits`); `species` one of cattle, sheep, goat, pig, horse; `count` an integer in
 * [0, 100000]; `confidence` a number in [0, 1]; `zone` 1-64 characters.
 *
 * @example
 * decodeCameraCount({ kind: 'camera_count', farmId: 'F-KRT-01', cameraId: 'CAM-1' },
 *   Buffer.from('{"observedAt":"2026-11-22T10:00:00Z","species":"cattle","count":41}'),
 *   { ...defaultDecodeLimits, now: new Date() }, { maxBytes: 16_384 })
 */
export function decodeCameraCount(
  match: Extract<TopicMatch, { kind: 'camera_count' }>,
  payload: Buffer,
  limits: DecodeLimits,
  options: CameraCountOptions,
): Result<CameraCountReading, DecodeError> {
  const fail = (code: DecodeError['code'], field: string, value: unknown, message: string) =>
    ({ ok: false, error: { code, field, value, message } }) as const;

  const parsed = parseJsonPayload(payload, options);
  if (!parsed.ok) return parsed;
  const object = asJsonObject(parsed.value, 'camera count');
  if (!object.ok) return object;
  const raw = object.value;

  const cameraId = raw['cameraId'];
  if (cameraId !== undefined && cameraId !== match.cameraId) {
    return fail(
      'invalid_payload',
      'cameraId',
      cameraId,
      `cameraId ${JSON.stringify(cameraId)} does not match the topic's camera ${JSON.stringify(match.cameraId)}`,
    );
  }

  const observedAt = decodeTimestamp(raw['observedAt'], 'observedAt', limits);
  if (!observedAt.ok) return observedAt;

  const species = raw['species'];
  if (species === undefined)
    return fail('missing_field', 'species', species, 'species is required');
  if (typeof species !== 'string' || !(cameraSpecies as readonly string[]).includes(species)) {
    return fail(
      'invalid_payload',
      'species',
      species,
      `species ${JSON.stringify(species)} must be one of ${cameraSpecies.join(', ')}`,
    );
  }

  const count = raw['count'];
  if (count === undefined) return fail('missing_field', 'count', count, 'count is required');
  if (typeof count !== 'number' || !Number.isInteger(count)) {
    return fail(
      'invalid_payload',
      'count',
      count,
      `count ${JSON.stringify(count)} must be an integer`,
    );
  }
  if (count < 0 || count > cameraCountRanges.maxHeadCount) {
    return fail(
      'out_of_range',
      'count',
      count,
      `count ${count} out of range [0, ${cameraCountRanges.maxHeadCount}]`,
    );
  }

  const confidence = raw['confidence'] ?? null;
  if (confidence !== null) {
    if (typeof confidence !== 'number' || !Number.isFinite(confidence)) {
      return fail(
        'invalid_payload',
        'confidence',
        confidence,
        `confidence ${JSON.stringify(confidence)} must be a number`,
      );
    }
    if (confidence < 0 || confidence > 1) {
      return fail(
        'out_of_range',
        'confidence',
        confidence,
        `confidence ${confidence} out of range [0, 1]`,
      );
    }
  }

  const zone = raw['zone'] ?? null;
  if (zone !== null) {
    if (typeof zone !== 'string') {
      return fail('invalid_payload', 'zone', zone, `zone ${JSON.stringify(zone)} must be a string`);
    }
    if (zone.length === 0 || zone.length > cameraCountRanges.maxZoneChars) {
      return fail(
        'out_of_range',
        'zone',
        zone,
        `zone ${JSON.stringify(zone.length > 80 ? zone.slice(0, 80) + '…' : zone)} must be 1-${cameraCountRanges.maxZoneChars} characters, got ${zone.length}`,
      );
    }
  }

  return {
    ok: true,
    value: {
      cameraId: match.cameraId,
      observedAt: observedAt.value,
      species: species as CameraSpecies,
      headCount: count,
      confidence,
      zone,
    },
  };
}
