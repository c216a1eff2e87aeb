/**
 * Decoding one COG block to the values of some of its pixels, synchronously: the work a decode
 * worker does for each job (see `decode-pool.ts`), kept free of geotiff.js and of anything that
 * needs the main thread so that a worker loads it in milliseconds.
 */
import { readSync } from 'node:fs';
import { constants, inflateSync } from 'node:zlib';
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
 * Decodes a block and picks its wanted pixels, as float32 (exact for integer samples up to 24
 * bits, which is what `readSceneOverParcels` keeps): reads the block's bytes with `readSync` at its
 * offset into `scratch` (grown when too small, and returned for the next job), inflates them with
 * zlib (`inflateSync`: the caller is a worker thread, so this thread's core does it; only the rows
 * down to the last wanted one when that saves input, see `inflateHead`), undoes predictor 2 in
 * place over those rows and gathers the positions. Never throws.
 */
export function decodeBlockPixels(
  job: BlockJob,
  scratch: Buffer,
): { outcome: BlockOutcome; scratch: Buffer } {
  const { fd, offset, byteCount, compression, predictor, blockWidth, rows, positions } = job;
  const ArrayType = SAMPLE_TYPES[job.sampleType];
  const bytesPerSample = ArrayType.BYTES_PER_ELEMENT;
  const expected = blockWidth * rows * bytesPerSample;
  const values = new Float32Array(positions.length);
  if (byteCount === 0) {
    values.fill(job.sparseFill);
    return { outcome: { ok: true, values }, scratch };
  }
  let buffer = scratch;
  try {
    if (buffer.byteLength < byteCount)
      buffer = Buffer.allocUnsafeSlow(Math.max(byteCount, 1 << 16));
    const bytesRead = readSync(fd, buffer, 0, byteCount, offset);
    if (bytesRead !== byteCount) {
      return { outcome: { ok: false, problem: 'short_read', bytesRead }, scratch: buffer };
    }
    const raw = buffer.subarray(0, byteCount);
    // Rows are stored one after the other: only the rows down to the last wanted one are needed.
    let lastPosition = 0;
    for (let s = 0; s < positions.length; s++) {
      const position = positions[s] as number;
      if (position > lastPosition) lastPosition = position;
    }
    const neededRows = Math.min(rows, Math.floor(lastPosition / blockWidth) + 1);
    let bytes: Buffer | null =
      compression === 1 ? raw : inflateHead(raw, neededRows / rows, expected);
    let decodedRows = neededRows;
    if (bytes === null || bytes.byteLength < neededRows * blockWidth * bytesPerSample) {
      bytes = inflateSync(raw, { chunkSize: Math.max(64, expected + 64) });
      decodedRows = rows;
      if (bytes.byteLength < expected) {
        return {
          outcome: { ok: false, problem: 'short_inflate', bytes: bytes.byteLength },
          scratch: buffer,
        };
      }
    }
    // The samples need an aligned view; uncompressed bytes sit in the (reused) scratch buffer,
    // so they are copied before the predictor changes them.
    if (compression === 1 || bytes.byteOffset % bytesPerSample !== 0) bytes = Buffer.from(bytes);
    const data = new ArrayType(
      bytes.buffer as ArrayBuffer,
      bytes.byteOffset,
      blockWidth * decodedRows,
    );
    if (predictor === 2) undoHorizontalDifferencing(data, blockWidth, decodedRows);
    for (let s = 0; s < positions.length; s++) values[s] = data[positions[s] as number] as number;
    return { outcome: { ok: true, values }, scratch: buffer };
  } catch (error) {
    return {
      outcome: {
        ok: false,
        problem: 'failed',
        message: error instanceof Error ? error.message : String(error),
      },
      scratch: buffer,
    };
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
