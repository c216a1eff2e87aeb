import jpeg from 'jpeg-js';
import { describe, expect, it } from 'vitest';
import { decodeFrame, defaultFrameLimits, isJpeg } from './frame.ts';

/** A real JPEG of a flat colour, made with jpeg-js's encoder. */
function flatJpeg(width: number, height: number, rgb: [number, number, number]): Buffer {
  const data = Buffer.alloc(width * height * 4);
  for (let i = 0; i < width * height; i++) data.set([...rgb, 255], i * 4);
  return jpeg.encode({ width, height, data }, 90).data;
}

describe('decodeFrame', () => {
  it('decodes a JPEG into RGBA pixels of its size', () => {
    const result = decodeFrame(flatJpeg(64, 48, [200, 30, 40]), defaultFrameLimits);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect([result.value.width, result.value.height]).toEqual([64, 48]);
    expect(result.value.rgba).toHaveLength(64 * 48 * 4);
    const [r, g, b, a] = result.value.rgba.subarray(0, 4);
    expect(Math.abs((r ?? 0) - 200)).toBeLessThan(8);
    expect(Math.abs((g ?? 0) - 30)).toBeLessThan(8);
    expect(Math.abs((b ?? 0) - 40)).toBeLessThan(8);
    expect(a).toBe(255);
  });

  it('refuses a payload that is not a JPEG, naming its first bytes', () => {
    const png = Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex');
    expect(decodeFrame(png, defaultFrameLimits)).toEqual({
      ok: false,
      error: {
        code: 'invalid_payload',
        field: 'frame',
        value: '89504e470d0a1a0a',
        message:
          'frame is not a JPEG: starts with 89504e470d0a1a0a, expected ffd8ff (JPEG start of image)',
      },
    });
    const json = decodeFrame(Buffer.from('{"count": 3}'), defaultFrameLimits);
    expect(json.ok ? null : json.error.code).toBe('invalid_payload');
  });

  it('refuses an empty payload', () => {
    const result = decodeFrame(Buffer.alloc(0), defaultFrameLimits);
    expect(result.ok ? null : result.error.message).toBe('frame is empty: expected a JPEG');
  });

  it('refuses a truncated JPEG instead of decoding half of it', () => {
    const whole = flatJpeg(64, 64, [10, 120, 10]);
    const truncated = whole.subarray(0, Math.floor(whole.length / 2));
    const result = decodeFrame(truncated, defaultFrameLimits);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error.code).toBe('invalid_payload');
    expect(result.error.message).toMatch(
      new RegExp(
        `^frame of ${truncated.length} bytes is not a decodable JPEG \\(truncated or corrupt\\)`,
      ),
    );
  });

  it('refuses a frame over the byte limit before decoding it', () => {
    const frame = flatJpeg(32, 32, [0, 0, 0]);
    const result = decodeFrame(frame, { ...defaultFrameLimits, maxBytes: 100 });
    expect(result).toEqual({
      ok: false,
      error: {
        code: 'out_of_range',
        field: 'frame',
        value: frame.length,
        message: `frame ${frame.length} bytes exceeds the limit of 100 bytes`,
      },
    });
  });

  it('refuses a frame over the resolution limit (a decompression bomb)', () => {
    // 2000 × 1000 = 2 MP of flat colour compresses to a few KB.
    const bomb = flatJpeg(2000, 1000, [90, 90, 90]);
    const result = decodeFrame(bomb, { ...defaultFrameLimits, maxResolutionMp: 1 });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error.code).toBe('out_of_range');
    expect(result.error.message).toMatch(/too large to decode \(limits 1 MP, 256 MB\)/);
  });

  it('admits real camera frames with the default limits', () => {
    expect(defaultFrameLimits.maxBytes).toBeGreaterThanOrEqual(618_586); // the largest pasture frame
    expect(defaultFrameLimits.maxResolutionMp).toBeGreaterThanOrEqual(8.3); // 4K
  });
});

describe('isJpeg', () => {
  it('looks at the start-of-image marker', () => {
    expect(isJpeg(Buffer.from([0xff, 0xd8, 0xff, 0xe0]))).toBe(true);
    expect(isJpeg(Buffer.from([0xff, 0xd8]))).toBe(false);
    expect(isJpeg(Buffer.from('GIF89a'))).toBe(false);
  });
});
