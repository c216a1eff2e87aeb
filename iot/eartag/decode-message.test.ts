import { describe, expect, it } from 'vitest';
import type { DecodeError } from '../result.ts';
import { decodeTagMessage, type TagTopicMatch } from './decode-message.ts';
import type { DecodeLimits } from './reading.ts';

const limits: DecodeLimits = {
  now: new Date('2026-11-22T10:00:00Z'),
  maxFutureSkewMs: 300_000,
  maxAgeMs: 30 * 24 * 3_600_000,
};
const options = { maxBytes: 4096 };
const single: TagTopicMatch = { kind: 'tag_reading', farmId: 'F-KRT-01', tagId: 'BE-0001' };
const batch: TagTopicMatch = { kind: 'tag_batch', farmId: 'F-KRT-01' };
const fix = { observedAt: '2026-11-22T09:58:00Z', lat: 50.8159, lon: 3.0238 };

function json(value: unknown): Buffer {
  return Buffer.from(JSON.stringify(value));
}

function rejection(match: TagTopicMatch, payload: Buffer): string {
  const result = decodeTagMessage(match, payload, limits, options);
  if (result.ok) throw new Error('expected the whole message to be rejected');
  return `${result.error.code}: ${result.error.message}`;
}

describe('decodeTagMessage, one reading', () => {
  it('takes the tag id from the topic', () => {
    const result = decodeTagMessage(single, json({ ...fix, batteryPct: 81 }), limits, options);
    expect(result).toEqual({
      ok: true,
      value: {
        readings: [
          {
            tagId: 'BE-0001',
            observedAt: new Date('2026-11-22T09:58:00Z'),
            lat: 50.8159,
            lon: 3.0238,
            temperatureC: null,
            activity: null,
            batteryPct: 81,
            rssi: null,
          },
        ],
        rejected: [],
      },
    });
  });

  it('accepts a payload tagId that agrees with the topic', () => {
    const result = decodeTagMessage(single, json({ ...fix, tagId: 'BE-0001' }), limits, options);
    expect(result.ok && result.value.readings).toHaveLength(1);
  });

  it.each([
    [
      json({ ...fix, tagId: 'BE-0002' }),
      'invalid_payload: tagId "BE-0002" does not match the topic\'s tag "BE-0001"',
    ],
    [json({ ...fix, lat: 91 }), 'out_of_range: lat 91 out of range [-90, 90] degrees'],
    [json({ ...fix, lon: undefined }), 'missing_field: lon is required'],
    [
      json({ ...fix, lat: 0, lon: 0 }),
      'null_island: lat/lon (0, 0) is a GPS fix failure, not a position',
    ],
    [
      json({ ...fix, observedAt: '2026-11-22T10:30:00Z' }),
      'clock_skew: observedAt 2026-11-22T10:30:00Z is 1800 s in the future (at most 300 s allowed)',
    ],
    [json([fix]), 'invalid_payload: reading must be a JSON object, got an array'],
    [json('hello'), 'invalid_payload: reading must be a JSON object, got string'],
    [Buffer.from('{"lat":'), 'invalid_payload: payload is not valid JSON: '],
    [Buffer.from([0xff, 0xfe, 0x7b]), 'invalid_payload: payload is not valid UTF-8'],
    [Buffer.alloc(0), 'invalid_payload: payload is empty: expected a JSON object'],
  ])('rejects bad payload %#', (payload, message) => {
    expect(rejection(single, payload)).toContain(message);
  });

  it('checks the size before parsing anything', () => {
    const huge = Buffer.from(`{"lat": ${'1'.repeat(5000)}`); // not even JSON
    const result = decodeTagMessage(single, huge, limits, options);
    expect(result).toEqual({
      ok: false,
      error: {
        code: 'invalid_payload',
        field: '',
        value: huge.length,
        message: `payload ${huge.length} bytes exceeds the limit of 4096 bytes`,
      },
    });
  });

  it('keeps an excerpt of unparsable JSON as the value', () => {
    const result = decodeTagMessage(single, Buffer.from(`{${'x'.repeat(100)}`), limits, options);
    expect(!result.ok && result.error.value).toBe(`{${'x'.repeat(63)}…`);
  });
});

describe('decodeTagMessage, a batch', () => {
  it('keeps the good readings and names each bad item by its path', () => {
    const readings = [
      { ...fix, tagId: 'BE-1' },
      { ...fix, tagId: 'BE-2', lat: 91 },
      { ...fix, tagId: 'BE-3' },
      'not a reading',
      { ...fix, tagId: 'BE-5', observedAt: '2026-09-01T00:00:00Z' },
      { ...fix, tagId: 'has space' },
    ];
    const result = decodeTagMessage(batch, json({ readings }), limits, options);
    if (!result.ok) throw new Error(result.error.message);
    expect(result.value.readings.map((r) => r.tagId)).toEqual(['BE-1', 'BE-3']);
    const summary = (e: DecodeError) => `${e.code} ${e.field}: ${e.message}`;
    expect(result.value.rejected.map((r) => [r.index, summary(r.error)])).toEqual([
      [1, 'out_of_range readings[1].lat: readings[1].lat 91 out of range [-90, 90] degrees'],
      [3, 'invalid_payload readings[3]: readings[3] must be a JSON object'],
      [
        4,
        'clock_skew readings[4].observedAt: readings[4].observedAt 2026-09-01T00:00:00Z is older than 720 h',
      ],
      [
        5,
        'invalid_payload readings[5].tagId: readings[5].tagId "has space" must be 1-64 characters of letters, digits and . _ : - starting with a letter or digit',
      ],
    ]);
  });

  it('requires each item to carry its tagId', () => {
    const result = decodeTagMessage(batch, json({ readings: [fix] }), limits, options);
    expect(result.ok && result.value.rejected[0]?.error.message).toBe(
      'readings[0].tagId is required',
    );
  });

  it('accepts an empty batch as nothing to store', () => {
    expect(decodeTagMessage(batch, json({ readings: [] }), limits, options)).toEqual({
      ok: true,
      value: { readings: [], rejected: [] },
    });
  });

  it.each([
    [json({}), 'missing_field: readings is required'],
    [json({ readings: {} }), 'invalid_payload: readings must be an array, got object'],
    [json({ readings: null }), 'invalid_payload: readings must be an array, got null'],
    [
      json([{ ...fix, tagId: 'BE-1' }]),
      'invalid_payload: batch must be a JSON object, got an array',
    ],
    [Buffer.from('{"readings": [}'), 'invalid_payload: payload is not valid JSON: '],
  ])('rejects a bad envelope whole (%#)', (payload, message) => {
    expect(rejection(batch, payload)).toContain(message);
  });
});
