/**
 * Decoding one COG block to the values of some of its pixels, synchronously: the work a decode
 * worker does for each job (see `decode-pool.ts`), kept free of geotiff.js and of anything that
 * needs the main thread so that a worker loads it in milliseconds.
 */
import { readSync } from 'node:fs';
import { constants, inflateSync } from 'node:zlib';
import { blockInflater, type InflaterChoice, type NativeInflate } from './native-inflate.ts';
import { undoHorizontalDifferencing } from './predictor.ts';

/** The typed arrays a block's samples can be read as (little-endian files on a little-endian host). */
export const SAMPLE_TYPES = {
  Uint8Array,
  Uint16Array,
  Uint32Array,
  Int8Array,
  Int16Array,
  Int32Array,
  Float32Array,
  Float64Array,
} as const;

export type SampleType = keyof typeof SAMPLE_TYPES;

/** One block to decode, and the pixels of it wanted. */
export interface BlockJob {
  /** An open file descriptor of the COG (the process's, shared by its threads; read with pread). */
  readonly fd: number;
  readonly offset: number;
  readonly byteCount: number;
  /** TIFF compression: 1 (none), 8 or 32946 (DEFLATE). */
  readonly compression: number;
  /** TIFF predictor: 1 (none) or 2 (horizontal differencing, integer samples). */
  readonly predictor: number;
  readonly sampleType: SampleType;
  /** Samples per block row, and rows in this block. */
  readonly blockWidth: number;
  readonly rows: number;
  /** The value of every pixel of a sparse block (byte count 0): the file's nodata, else 0. */
  readonly sparseFill: number;
  /** Wanted pixels, as `row * blockWidth + col` within the block. */
  readonly positions: Int32Array;
}

/** The outcome of a {@link BlockJob}; errors are values, so that a worker never throws. */
export type BlockOutcome =
  | { readonly ok: true; readonly values: Float32Array }
  | { readonly ok: false; readonly problem: 'short_read'; readonly bytesRead: number }
  | { readonly ok: false; readonly problem: 'short_inflate'; readonly bytes: number }
  | { readonly ok: false; readonly problem: 'failed'; readonly message: string };

/**
 * What a thread decodes blocks with: its inflater, and reusable buffers for a block's bytes as
 * read and as inflated (grown to the largest block seen).
 */
export class DecoderState {
  read: Buffer = Buffer.allocUnsafeSlow(1 << 18);
  inflated: Buffer = Buffer.allocUnsafeSlow(1 << 19);
  readonly inflater: InflaterChoice;
  constructor(inflater: InflaterChoice = blockInflater()) {
    this.inflater = inflater;
  }
}

/**
 * Decodes a block and picks its wanted pixels, as float32 (exact for integer samples up to 24
 * bits, which is what `readSceneOverParcels` keeps): reads the block's bytes with `readSync` at its
 * offset into `state.read`, inflates them (this thread's core does it: the caller is a worker),
 * undoes predictor 2 in place over the rows down to the last wanted one and gathers the positions.
 * Never throws.
 *
 * Inflating: with the libdeflate addon (see `native-inflate.ts`), the whole block into
 * `state.inflated`, unless few rows are wanted (see `HEAD_BEATS_WHOLE_BELOW`); with zlib, only
 * the head of the stream down to the last wanted row when that saves input (`inflateHead`). A
 * block libdeflate rejects is inflated again by zlib, so that errors carry zlib's messages on
 * every path (`readBlock` inflates with zlib).
 */
export function decodeBlockPixels(job: BlockJob, state: DecoderState): BlockOutcome {
  const { fd, offset, byteCount, compression, predictor, blockWidth, rows, positions } = job;
  const ArrayType = SAMPLE_TYPES[job.sampleType];
  const bytesPerSample = ArrayType.BYTES_PER_ELEMENT;
  const expected = blockWidth * rows * bytesPerSample;
  const values = new Float32Array(positions.length);
  if (byteCount === 0) {
    values.fill(job.sparseFill);
    return { ok: true, values };
  }
  try {
    if (state.read.byteLength < byteCount) {
      state.read = Buffer.allocUnsafeSlow(Math.max(byteCount, 1 << 16));
    }
    const bytesRead = readSync(fd, state.read, 0, byteCount, offset);
    if (bytesRead !== byteCount) return { ok: false, problem: 'short_read', bytesRead };
    const raw = state.read.subarray(0, byteCount);
    // Rows are stored one after the other: only the rows down to the last wanted one are needed.
    let lastPosition = 0;
    for (let s = 0; s < positions.length; s++) {
      const position = positions[s] as number;
      if (position > lastPosition) lastPosition = position;
    }
    const neededRows = Math.min(rows, Math.floor(lastPosition / blockWidth) + 1);
    const neededBytes = neededRows * blockWidth * bytesPerSample;
    const { inflater } = state;
    let bytes: Buffer | null = null;
    if (compression === 1) bytes = raw;
    else if (inflater.kind === 'libdeflate' && neededRows / rows >= HEAD_BEATS_WHOLE_BELOW) {
      if (bytesPerSample <= 2 && !job.sampleType.startsWith('Int') && predictor <= 2) {
        // Unsigned 8/16-bit samples (Sentinel-2's): the addon also undoes the predictor and
        // picks the pixels, so nothing of the block is touched in JavaScript.
        if (pickNative(inflater.addon, job, raw, expected, neededBytes, state, values)) {
          return { ok: true, values };
        }
      } else bytes = inflateWholeNative(inflater.addon, raw, expected, state);
    } else bytes = inflateHead(raw, neededRows / rows, expected);
    if (bytes === null || bytes.byteLength < neededBytes) {
      bytes = inflateSync(raw, { chunkSize: Math.max(64, expected + 64) });
      if (bytes.byteLength < expected) {
        return { ok: false, problem: 'short_inflate', bytes: bytes.byteLength };
      }
    }
    // The samples need an aligned view; uncompressed bytes sit in the (reused) read buffer,
    // so they are copied before the predictor changes them.
    if (compression === 1 || bytes.byteOffset % bytesPerSample !== 0) bytes = Buffer.from(bytes);
    const data = new ArrayType(
      bytes.buffer as ArrayBuffer,
      bytes.byteOffset,
      blockWidth * neededRows,
    );
    if (predictor === 2) undoHorizontalDifferencing(data, blockWidth, neededRows);
    for (let s = 0; s < positions.length; s++) values[s] = data[positions[s] as number] as number;
    return { ok: true, values };
  } catch (error) {
    return {
      ok: false,
      problem: 'failed',
      message: error instanceof Error ? error.message : String(error),
    };
  }
}

/**
 * Share of a block's rows below which zlib's head-only inflate (about that share of the stream,
 * plus a margin) costs less than libdeflate's whole block (about 1 / 2.25 of zlib's whole block).
 */
const HEAD_BEATS_WHOLE_BELOW = 0.35;

/**
 * The block decoded by the addon's `inflatePick` into `values`; false when libdeflate rejects
 * the stream or it is too short for the wanted rows (the caller then lets zlib inflate it, and
 * fail with zlib's message).
 */
function pickNative(
  addon: NativeInflate,
  job: BlockJob,
  raw: Buffer,
  expected: number,
  neededBytes: number,
  state: DecoderState,
  values: Float32Array,
): boolean {
  if (state.inflated.byteLength < expected) state.inflated = Buffer.allocUnsafeSlow(expected);
  const bytesPerSample = SAMPLE_TYPES[job.sampleType].BYTES_PER_ELEMENT as 1 | 2;
  try {
    const written = addon.inflatePick(
      raw,
      state.inflated.subarray(0, expected),
      bytesPerSample,
      job.predictor as 1 | 2,
      job.blockWidth,
      job.positions,
      values,
    );
    return written >= neededBytes;
  } catch {
    return false;
  }
}

/**
 * The whole block inflated by libdeflate into `state.inflated`; null when libdeflate rejects
 * the stream (the caller then lets zlib inflate it, and fail with zlib's message).
 */
function inflateWholeNative(
  addon: NativeInflate,
  raw: Buffer,
  expected: number,
  state: DecoderState,
): Buffer | null {
  if (state.inflated.byteLength < expected) state.inflated = Buffer.allocUnsafeSlow(expected);
  const target = state.inflated.subarray(0, expected);
  try {
    return target.subarray(0, addon.inflateInto(raw, target));
  } catch {
    return null;
  }
}

/** Share of a block's compressed bytes fed in beyond the share of rows wanted, and a minimum. */
const HEAD_MARGIN = 1.1;
const HEAD_SLACK_BYTES = 4096;

/**
 * Inflates only the head of a block's DEFLATE stream: about `share` of its compressed bytes
 * (with a margin: rows compress unevenly), flushed without the end of the stream. Measured on the
 * bench's simulated bands, this yields 11-15 % more rows than the share asked for; the caller
 * checks that it holds every row it needs and inflates the whole block otherwise. Null when the
 * head would be (nearly) the whole stream. The stream's checksum is not verified this way; a
 * corrupt head still fails, and a short file is caught by the read before.
 */
function inflateHead(raw: Buffer, share: number, expected: number): Buffer | null {
  const headBytes = Math.ceil(raw.byteLength * share * HEAD_MARGIN) + HEAD_SLACK_BYTES;
  if (headBytes >= raw.byteLength) return null;
  return inflateSync(raw.subarray(0, headBytes), {
    chunkSize: Math.max(64, expected + 64),
    finishFlush: constants.Z_SYNC_FLUSH,
  });
}
