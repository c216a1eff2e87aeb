import jpeg from 'jpeg-js';
import type { DecodeError, Result } from '../result.ts';

/**
 * A decoded camera frame: `width × height` pixels, 4 bytes each (R, G, B, A), row by row.
 * Grey-scale (night infrared) and CMYK JPEGs come out as RGBA too.
 */
export interface RgbaFrame {
  readonly width: number;
  readonly height: number;
  readonly rgba: Uint8Array;
}

export interface FrameLimits {
  /** Largest JPEG accepted, in bytes, checked before anything else. */
  readonly maxBytes: number;
  /** Largest image decoded, in megapixels (jpeg-js `maxResolutionInMP`). */
  readonly maxResolutionMp: number;
  /** Most memory the decoder may ask for, in MB (jpeg-js `maxMemoryUsageInMB`). */
  readonly maxMemoryMb: number;
}

/**
 * Defaults that admit real camera frames (the pasture frames in `../shared/data` are 43-619 KB,
 * up to 1920×1080) and 4K ones (8.3 MP), and refuse decompression bombs.
 */
export const defaultFrameLimits: FrameLimits = {
  maxBytes: 4 * 1024 * 1024,
  maxResolutionMp: 16,
  maxMemoryMb: 256,
};

const jpegMagic = [0xff, 0xd8, 0xff] as const;

/** True when `payload` starts like a JPEG (SOI marker followed by another marker). */
export function isJpeg(payload: Uint8Array): boolean {
  return payload.length >= jpegMagic.length && jpegMagic.every((b, i) => payload[i] === b);
}

/**
 * Checks and decodes the JPEG of `farms/{farmId}/cameras/{cameraId}/frame` into RGBA pixels. Never
 * throws: the error names the payload, the value and the rule. Order: size limit, JPEG magic
 * (`FF D8 FF`), then a strict decode with jpeg-js (`tolerantDecoding: false`, so a truncated or
 * corrupt frame is refused rather than half grey) within the resolution and memory limits.
 *
 * Decoding is synchronous and takes about 80-260 ms for 0.3-2 MP on one core: call it off the
 * event loop (the detector runs it in a worker thread).
 *
 * @example
 * decodeFrame(readFileSync('frame.jpg'), defaultFrameLimits)
 * // { ok: true, value: { width: 1920, height: 1080, rgba: Uint8Array(8294400) } }
 */
export function decodeFrame(
  payload: Uint8Array,
  limits: FrameLimits,
): Result<RgbaFrame, DecodeError> {
  const fail = (code: DecodeError['code'], value: unknown, message: string) =>
    ({ ok: false, error: { code, field: 'frame', value, message } }) as const;

  if (payload.length > limits.maxBytes) {
    return fail(
      'out_of_range',
      payload.length,
      `frame ${payload.length} bytes exceeds the limit of ${limits.maxBytes} bytes`,
    );
  }
  if (payload.length === 0) return fail('invalid_payload', '', 'frame is empty: expected a JPEG');
  if (!isJpeg(payload)) {
    const head = Buffer.from(payload.subarray(0, 8)).toString('hex');
    return fail(
      'invalid_payload',
      head,
      `frame is not a JPEG: starts with ${head}, expected ffd8ff (JPEG start of image)`,
    );
  }
  let decoded: { width: number; height: number; data: Uint8Array };
  try {
    decoded = jpeg.decode(payload, {
      useTArray: true,
      formatAsRGBA: true,
      tolerantDecoding: false,
      maxResolutionInMP: limits.maxResolutionMp,
      maxMemoryUsageInMB: limits.maxMemoryMb,
    });
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    const tooBig = /maxResolutionInMP|maxMemoryUsageInMB/.test(reason);
    return fail(
      tooBig ? 'out_of_range' : 'invalid_payload',
      payload.length,
      tooBig
        ? `frame of ${payload.length} bytes is too large to decode (limits ${limits.maxResolutionMp} MP, ${limits.maxMemoryMb} MB): ${reason}`
        : `frame of ${payload.length} bytes is not a decodable JPEG (truncated or corrupt): ${reason}`,
    );
  }
  const { width, height, data } = decoded;
  if (width < 1 || height < 1 || data.length !== width * height * 4) {
    return fail(
      'invalid_payload',
      `${width}x${height}`,
      `frame decoded to ${width}x${height} with ${data.length} bytes: not an RGBA image`,
    );
  }
  return { ok: true, value: { width, height, rgba: data } };
}
