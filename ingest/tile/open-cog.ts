import { open, stat, type FileHandle } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { endianness } from 'node:os';
import { inflate } from 'node:zlib';
import {
  fromFile,
  fromUrl,
  getDecoder,
  type BaseDecoder,
  type GeoTIFF,
  type GeoTIFFImage,
  type TypedArray,
} from 'geotiff';
import type { PixelWindow } from '../../geo/index.ts';
import { SAMPLE_TYPES, type BlockJob, type BlockOutcome, type SampleType } from './decode-block.ts';
import { decodePool } from './decode-pool.ts';
import { useNativeDeflate } from './native-deflate.ts';
import { undoHorizontalDifferencing } from './predictor.ts';
import { TileReadError } from './tile-read-error.ts';

/** The grid of one single-band COG, read from its header. North-up only. */
export interface CogGrid {
  epsg: number;
  /** `[originX, originY]` of the outer corner of pixel (0, 0), in CRS units. */
  originX: number;
  originY: number;
  /** Pixel width (> 0) and height (> 0; rows go south), CRS units. */
  pixelWidth: number;
  pixelHeight: number;
  width: number;
  height: number;
}

/** How a COG is cut into blocks (tiles; or strips, as blocks the width of the image). */
export interface CogBlocks {
  /** Block width and height in pixels (the last row or column of blocks may reach past the image). */
  width: number;
  height: number;
  /** Blocks per row and per column. */
  across: number;
  down: number;
}

/** One decoded block: `data[r * width + c]` is pixel `(bx * blocks.width + c, by * blocks.height + r)`. */
export interface CogBlock {
  data: TypedArray;
  /** Samples per row of `data` (the block width, or less for a block clipped at the image edge). */
  width: number;
}

/** An open single-band COG: its grid and nodata, window and block readers, and `close()`. */
export interface OpenCog {
  readonly href: string;
  readonly grid: CogGrid;
  /** `GDAL_NODATA` of the file, or null. */
  readonly nodata: number | null;
  readonly blocks: CogBlocks;
  /** Raw values of a window (row-major, `window.cols` per row), in the file's data type. */
  readWindow(window: PixelWindow, signal?: AbortSignal): Promise<TypedArray>;
  /**
   * Raw values of block `(bx, by)`, decoded once (no cache: read each block once). Local DEFLATE
   * or uncompressed files with predictor 1 or 2 are read by `FileHandle.read` of the block's bytes,
   * inflated by Node's zlib on the libuv pool and un-predicted in place; anything else goes through
   * `readWindow` over the block's pixels. (Readers of many blocks want `readBlockPixels`.)
   */
  readBlock(bx: number, by: number, signal?: AbortSignal): Promise<CogBlock>;
  /**
   * The values of some pixels of block `(bx, by)`, as float32 (exact for integer samples up to 24
   * bits): `positions[s]` is `row * blocks.width + col` within the block. Local files that
   * `readBlock` reads itself are decoded on the process's decode pool (worker threads, see
   * `decode-pool.ts`), which hands back only these values (a block no worker could take, say after
   * a worker died, is decoded on this thread); others go through `readBlock`. Errors are those of
   * `readBlock`, with the same codes and messages, except that the pool inflates a block only down
   * to the last row wanted, so damage to the DEFLATE stream below it goes unnoticed (a short file
   * still fails with `truncated_cog`).
   */
  readBlockPixels(
    bx: number,
    by: number,
    positions: Int32Array,
    signal?: AbortSignal,
  ): Promise<Float32Array>;
  close(): Promise<void>;
}

/**
 * Opens a single-band COG with geotiff.js: a local file (`file:` URL or path) with `fromFile`, an
 * `http(s):` URL with `fromUrl` (HTTP range requests, so only the header and the tiles of the
 * windows read are fetched). Registers the native zlib DEFLATE decoder (`useNativeDeflate`).
 *
 * Checks, each failing with a {@link TileReadError} naming the file and value: the header parses
 * (`cog_unreadable`), the CRS is given as an EPSG code (`crs_missing`), exactly one sample per
 * pixel (`band_count`), a north-up grid without rotation (`grid_mismatch`), and, for local files,
 * that every tile or strip lies within the file (`truncated_cog`: a local read past the end would
 * otherwise come back zero-filled). `readWindow` rejects a window outside the image
 * (`window_outside_image`) and wraps decoding errors (`read_failed`; a truncated remote file
 * surfaces here, as zlib's `unexpected end of file`).
 *
 * @param href - Absolute URL or local path.
 * @param signal - Aborts the header reads (and is the default for `readWindow`).
 * @example
 * ```ts
 * const cog = await openCog('file:///data/S2_x/B04.tif');
 * try {
 *   const dn = await cog.readWindow({ col0: 16, row0: 21, cols: 26, rows: 25 });
 * } finally {
 *   await cog.close();
 * }
 * ```
 */
export async function openCog(href: string, signal?: AbortSignal): Promise<OpenCog> {
  useNativeDeflate();
  const isRemote = /^https?:/i.test(href);
  const path = isRemote ? null : href.startsWith('file:') ? fileURLToPath(href) : href;
  let tiff: GeoTIFF;
  try {
    tiff = path === null ? await fromUrl(href, {}, signal) : await fromFile(path, signal);
  } catch (error) {
    signal?.throwIfAborted();
    throw new TileReadError(
      'cog_unreadable',
      `cannot open COG ${href}: ${(error as Error).message}`,
      { href },
      { cause: error },
    );
  }
  try {
    const image = await tiff.getImage(0);
    const grid = readGrid(image, href);
    if (image.getSamplesPerPixel() !== 1) {
      throw new TileReadError(
        'band_count',
        `COG ${href} has ${image.getSamplesPerPixel()} samples per pixel; expected a single band`,
        { href, samples: image.getSamplesPerPixel() },
      );
    }
    if (path !== null) await checkNotTruncated(image, path, href);
    let nodata: number | null = null;
    try {
      nodata = image.getGDALNoData();
    } catch {
      nodata = null; // a deferred GDAL_NODATA tag: treated as absent, raster:bands decides
    }
    const fast = await fastPathFor(image);
    const blocks: CogBlocks = {
      width: image.getTileWidth(),
      height: image.getTileHeight(),
      across: Math.ceil(grid.width / image.getTileWidth()),
      down: Math.ceil(grid.height / image.getTileHeight()),
    };
    const readWindowNow = (window: PixelWindow, readSignal = signal): Promise<TypedArray> =>
      readWindow(image, fast, grid, href, window, readSignal);
    const local =
      path !== null && fast !== null ? await localBlockReader(image, fast, path, href) : null;
    const checkBlock = (bx: number, by: number): void => {
      if (
        !Number.isInteger(bx) ||
        !Number.isInteger(by) ||
        bx < 0 ||
        by < 0 ||
        bx >= blocks.across ||
        by >= blocks.down
      ) {
        throw new TileReadError(
          'window_outside_image',
          `block (${bx}, ${by}) is not within COG ${href} (${blocks.across} x ${blocks.down} blocks)`,
          { href, bx, by },
        );
      }
    };
    const readFailed = (bx: number, by: number, error: unknown): TileReadError =>
      error instanceof TileReadError
        ? error
        : new TileReadError(
            'read_failed',
            `cannot read block (${bx}, ${by}) of COG ${href}: ${(error as Error).message}`,
            { href, bx, by },
            { cause: error },
          );
    const readBlock = async (bx: number, by: number, readSignal = signal): Promise<CogBlock> => {
      checkBlock(bx, by);
      if (local !== null) {
        readSignal?.throwIfAborted();
        try {
          return { data: await local.read(bx, by), width: blocks.width };
        } catch (error) {
          throw readFailed(bx, by, error);
        }
      }
      const col0 = bx * blocks.width;
      const row0 = by * blocks.height;
      const cols = Math.min(blocks.width, grid.width - col0);
      const rows = Math.min(blocks.height, grid.height - row0);
      return { data: await readWindowNow({ col0, row0, cols, rows }, readSignal), width: cols };
    };
    return {
      href,
      grid,
      nodata,
      blocks,
      readWindow: readWindowNow,
      readBlock,
      readBlockPixels: async (bx, by, positions, readSignal = signal) => {
        checkBlock(bx, by);
        if (local === null) {
          const { data, width } = await readBlock(bx, by, readSignal);
          const values = new Float32Array(positions.length);
          for (let s = 0; s < positions.length; s++) {
            const position = positions[s] as number;
            // Blocks read by window are clipped at the image edge: rows of `width` samples.
            const at = Math.floor(position / blocks.width) * width + (position % blocks.width);
            values[s] = data[at] as number;
          }
          return values;
        }
        readSignal?.throwIfAborted();
        try {
          return await local.readPixels(bx, by, positions);
        } catch (error) {
          throw readFailed(bx, by, error);
        }
      },
      close: async () => {
        await local?.close();
        await tiff.close();
      },
    };
  } catch (error) {
    await tiff.close();
    if (error instanceof TileReadError) throw error;
    signal?.throwIfAborted();
    throw new TileReadError(
      'cog_unreadable',
      `cannot read the header of COG ${href}: ${(error as Error).message}`,
      { href },
      { cause: error },
    );
  }
}

function readGrid(image: GeoTIFFImage, href: string): CogGrid {
  const geoKeys = image.getGeoKeys() ?? {};
  const projected = geoKeys['ProjectedCSTypeGeoKey'] as number | undefined;
  const geographic = geoKeys['GeographicTypeGeoKey'] as number | undefined;
  const epsg =
    projected !== undefined && projected !== 32767
      ? projected
      : geographic !== undefined && geographic !== 32767 && geoKeys['GTModelTypeGeoKey'] === 2
        ? geographic
        : undefined;
  if (epsg === undefined) {
    throw new TileReadError('crs_missing', `COG ${href} does not name its CRS by an EPSG code`, {
      href,
      geoKeys,
    });
  }
  const transformation = image.fileDirectory.getValue('ModelTransformation') as
    number[] | undefined;
  if (transformation !== undefined && (transformation[1] !== 0 || transformation[4] !== 0)) {
    throw new TileReadError(
      'grid_mismatch',
      `COG ${href} is rotated; only north-up grids are read`,
      {
        href,
      },
    );
  }
  let origin: number[];
  let resolution: number[];
  try {
    origin = image.getOrigin();
    resolution = image.getResolution();
  } catch (error) {
    throw new TileReadError(
      'grid_mismatch',
      `COG ${href} has no georeferencing: ${(error as Error).message}`,
      { href },
      { cause: error },
    );
  }
  const [originX = NaN, originY = NaN] = origin;
  const [resX = NaN, resY = NaN] = resolution;
  if (!(resX > 0) || !(resY < 0) || !Number.isFinite(originX) || !Number.isFinite(originY)) {
    throw new TileReadError(
      'grid_mismatch',
      `COG ${href}: resolution [${resX}, ${resY}] is not north-up (x > 0, y < 0)`,
      { href, resolution },
    );
  }
  return {
    epsg,
    originX,
    originY,
    pixelWidth: resX,
    pixelHeight: -resY,
    width: image.getWidth(),
    height: image.getHeight(),
  };
}

async function checkNotTruncated(image: GeoTIFFImage, path: string, href: string): Promise<void> {
  const directory = image.fileDirectory;
  const tiled = directory.hasTag('TileOffsets');
  const offsets = (await directory.loadValue(tiled ? 'TileOffsets' : 'StripOffsets')) as
    ArrayLike<number | bigint> | undefined;
  const counts = (await directory.loadValue(tiled ? 'TileByteCounts' : 'StripByteCounts')) as
    ArrayLike<number | bigint> | undefined;
  if (offsets === undefined || counts === undefined) return;
  let end = 0;
  for (let k = 0; k < offsets.length; k++) {
    const blockEnd = Number(offsets[k] ?? 0) + Number(counts[k] ?? 0);
    if (blockEnd > end) end = blockEnd;
  }
  const { size } = await stat(path);
  if (end > size) {
    throw new TileReadError(
      'truncated_cog',
      `COG ${href} is truncated: its ${tiled ? 'tiles' : 'strips'} end at byte ${end} but the file has ${size} bytes`,
      { href, expectedBytes: end, fileBytes: size },
    );
  }
}

/** A typed-array constructor for the file's pixels, and a decoder for its tiles. */
interface FastPath {
  ArrayType: new (buffer: ArrayBufferLike) => TypedArray;
  decoder: BaseDecoder;
}

/** Compressions whose decoders need only the default parameters. */
const FAST_COMPRESSIONS: ReadonlySet<number> = new Set([1, 5, 8, 32773, 32946, 50000]);

/**
 * The fast path of {@link readWindow}, when the file allows it: little-endian (like this
 * machine), one sample of a native integer or float type, a compression with default decoder
 * parameters. geotiff.js's `readRasters` copies every pixel through a `DataView` reader call,
 * which on Sentinel-2 windows costs as much as inflating them; the fast path copies tile rows with
 * `TypedArray.set` instead.
 */
async function fastPathFor(image: GeoTIFFImage): Promise<FastPath | null> {
  if (!image.littleEndian || endianness() !== 'LE') return null;
  const directory = image.fileDirectory;
  const compression = Number(directory.getValue('Compression') ?? 1);
  if (!FAST_COMPRESSIONS.has(compression)) return null;
  const bits = image.getBitsPerSample(0);
  const format = image.getSampleFormat(0);
  const ArrayType =
    format === 1
      ? bits === 8
        ? Uint8Array
        : bits === 16
          ? Uint16Array
          : bits === 32
            ? Uint32Array
            : null
      : format === 2
        ? bits === 8
          ? Int8Array
          : bits === 16
            ? Int16Array
            : bits === 32
              ? Int32Array
              : null
        : format === 3
          ? bits === 32
            ? Float32Array
            : bits === 64
              ? Float64Array
              : null
          : null;
  if (ArrayType === null) return null;
  const decoder = await getDecoder(compression, {
    tileWidth: image.getTileWidth(),
    tileHeight: image.getTileHeight(),
    planarConfiguration: image.planarConfiguration,
    bitsPerSample: (await directory.loadValue('BitsPerSample')) as number[],
    predictor: Number((await directory.loadValue('Predictor')) ?? 1) || 1,
  });
  return { ArrayType: ArrayType as FastPath['ArrayType'], decoder };
}

/** Reads a window tile by tile, copying rows of each tile with `TypedArray.set`. */
async function readWindowFast(
  image: GeoTIFFImage,
  fast: FastPath,
  window: PixelWindow,
  signal: AbortSignal | undefined,
): Promise<TypedArray> {
  const { col0, row0, cols, rows } = window;
  const tileWidth = image.getTileWidth();
  const tileHeight = image.getTileHeight();
  const out = new fast.ArrayType(new ArrayBuffer(cols * rows * image.getBytesPerPixel()));
  const reads: Promise<void>[] = [];
  for (let ty = Math.floor(row0 / tileHeight); ty * tileHeight < row0 + rows; ty++) {
    for (let tx = Math.floor(col0 / tileWidth); tx * tileWidth < col0 + cols; tx++) {
      reads.push(
        image.getTileOrStrip(tx, ty, 0, fast.decoder, signal).then((tile) => {
          const source = new fast.ArrayType(tile.data);
          const tileRow0 = ty * tileHeight;
          const tileCol0 = tx * tileWidth;
          const firstRow = Math.max(row0, tileRow0);
          const lastRow = Math.min(row0 + rows, tileRow0 + image.getBlockHeight(ty));
          const firstCol = Math.max(col0, tileCol0);
          const lastCol = Math.min(col0 + cols, tileCol0 + tileWidth);
          for (let row = firstRow; row < lastRow; row++) {
            const from = (row - tileRow0) * tileWidth + (firstCol - tileCol0);
            out.set(
              source.subarray(from, from + (lastCol - firstCol)),
              (row - row0) * cols + (firstCol - col0),
            );
          }
        }),
      );
    }
  }
  await Promise.all(reads);
  return out;
}

async function readWindow(
  image: GeoTIFFImage,
  fast: FastPath | null,
  grid: CogGrid,
  href: string,
  window: PixelWindow,
  signal: AbortSignal | undefined,
): Promise<TypedArray> {
  const { col0, row0, cols, rows } = window;
  if (
    !Number.isInteger(col0) ||
    !Number.isInteger(row0) ||
    col0 < 0 ||
    row0 < 0 ||
    cols < 1 ||
    rows < 1 ||
    col0 + cols > grid.width ||
    row0 + rows > grid.height
  ) {
    throw new TileReadError(
      'window_outside_image',
      `window ${JSON.stringify(window)} is not within COG ${href} (${grid.width} x ${grid.height} px)`,
      { href, window, width: grid.width, height: grid.height },
    );
  }
  try {
    if (fast !== null) return await readWindowFast(image, fast, window, signal);
    const data = await image.readRasters({
      window: [col0, row0, col0 + cols, row0 + rows],
      samples: [0],
      interleave: true,
      ...(signal === undefined ? {} : { signal }),
    });
    return data;
  } catch (error) {
    signal?.throwIfAborted();
    throw new TileReadError(
      'read_failed',
      `cannot read window ${JSON.stringify(window)} of COG ${href}: ${(error as Error).message}`,
      { href, window },
      { cause: error },
    );
  }
}

/** Compressions the local block reader inflates itself: none, DEFLATE, Adobe DEFLATE. */
const LOCAL_COMPRESSIONS: ReadonlySet<number> = new Set([1, 8, 32946]);

interface LocalBlockReader {
  read(bx: number, by: number): Promise<TypedArray>;
  /** Some pixels of a block, decoded on the decode pool (see `OpenCog.readBlockPixels`). */
  readPixels(bx: number, by: number, positions: Int32Array): Promise<Float32Array>;
  /** Closes the file once the pool's jobs on it are answered (they read its descriptor). */
  close(): Promise<void>;
}

/**
 * Reads blocks of a local file without geotiff.js's per-block machinery: the block's bytes by
 * `FileHandle.read` at its offset, `zlib.inflate` (libuv pool, so concurrent blocks inflate on
 * every core) with one output chunk of the block's size, and predictor 2 undone in place with a
 * typed-array loop. Null when the file needs anything else (other compressions, predictor 3,
 * several samples), which then goes through geotiff.js.
 */
async function localBlockReader(
  image: GeoTIFFImage,
  fast: FastPath,
  path: string,
  href: string,
): Promise<LocalBlockReader | null> {
  const directory = image.fileDirectory;
  const compression = Number(directory.getValue('Compression') ?? 1);
  const predictor = Number((await directory.loadValue('Predictor')) ?? 1) || 1;
  const bytesPerSample = image.getBytesPerPixel();
  const isFloat = image.getSampleFormat(0) === 3;
  if (!LOCAL_COMPRESSIONS.has(compression) || image.planarConfiguration !== 1) return null;
  if (predictor !== 1 && (predictor !== 2 || isFloat)) return null;
  const tiled = directory.hasTag('TileOffsets');
  const offsets = (await directory.loadValue(tiled ? 'TileOffsets' : 'StripOffsets')) as
    ArrayLike<number | bigint> | undefined;
  const counts = (await directory.loadValue(tiled ? 'TileByteCounts' : 'StripByteCounts')) as
    ArrayLike<number | bigint> | undefined;
  if (offsets === undefined || counts === undefined) return null;
  const blockWidth = image.getTileWidth();
  const across = Math.ceil(image.getWidth() / blockWidth);
  const handle: FileHandle = await open(path, 'r');
  const nodataFill = (() => {
    try {
      return image.getGDALNoData() ?? 0;
    } catch {
      return 0;
    }
  })();
  const sampleType = fast.ArrayType.name as SampleType;
  const inFlight = new Set<Promise<BlockOutcome>>();
  const reader: LocalBlockReader = {
    close: async () => {
      await Promise.allSettled([...inFlight]);
      await handle.close();
    },
    async readPixels(bx, by, positions) {
      const index = by * across + bx;
      const offset = Number(offsets[index] ?? 0);
      const byteCount = Number(counts[index] ?? 0);
      const rows = image.getBlockHeight(by);
      const job: BlockJob = {
        fd: handle.fd,
        offset,
        byteCount,
        compression,
        predictor,
        sampleType,
        blockWidth,
        rows,
        // The sparse value as the file's type holds it, as `read` fills a sparse block.
        sparseFill: SAMPLE_TYPES[sampleType].of(nodataFill)[0] as number,
        positions,
      };
      const running = decodePool().run(job);
      inFlight.add(running);
      let outcome: BlockOutcome;
      try {
        outcome = await running;
      } catch {
        // No worker could take it (one failed to start or died): this thread decodes the block.
        const data = await reader.read(bx, by);
        const values = new Float32Array(positions.length);
        for (let s = 0; s < positions.length; s++)
          values[s] = data[positions[s] as number] as number;
        return values;
      } finally {
        inFlight.delete(running);
      }
      if (outcome.ok) return outcome.values;
      if (outcome.problem === 'short_read') {
        throw new TileReadError(
          'truncated_cog',
          `COG ${href}: block (${bx}, ${by}) has ${outcome.bytesRead} of its ${byteCount} bytes at ${offset}`,
          { href, bx, by },
        );
      }
      if (outcome.problem === 'short_inflate') {
        throw new TileReadError(
          'read_failed',
          `COG ${href}: block (${bx}, ${by}) inflates to ${outcome.bytes} bytes, expected ${blockWidth * rows * bytesPerSample}`,
          { href, bx, by },
        );
      }
      throw new Error(outcome.message);
    },
    async read(bx, by) {
      const index = by * across + bx;
      const offset = Number(offsets[index] ?? 0);
      const byteCount = Number(counts[index] ?? 0);
      const rows = image.getBlockHeight(by);
      const expected = blockWidth * rows * bytesPerSample;
      if (byteCount === 0) {
        // A sparse block (GDAL's SPARSE_OK): nodata, as geotiff.js does.
        const empty = new fast.ArrayType(new ArrayBuffer(expected));
        empty.fill(nodataFill);
        return empty;
      }
      const raw = Buffer.allocUnsafeSlow(byteCount);
      const { bytesRead } = await handle.read(raw, 0, byteCount, offset);
      if (bytesRead !== byteCount) {
        throw new TileReadError(
          'truncated_cog',
          `COG ${href}: block (${bx}, ${by}) has ${bytesRead} of its ${byteCount} bytes at ${offset}`,
          { href, bx, by },
        );
      }
      let bytes = compression === 1 ? raw : await inflateBlock(raw, expected);
      if (bytes.byteLength < expected) {
        throw new TileReadError(
          'read_failed',
          `COG ${href}: block (${bx}, ${by}) inflates to ${bytes.byteLength} bytes, expected ${expected}`,
          { href, bx, by },
        );
      }
      if (bytes.byteOffset % bytesPerSample !== 0) bytes = Buffer.from(bytes);
      const data = new fast.ArrayType(bytes.buffer).subarray(
        bytes.byteOffset / bytesPerSample,
        bytes.byteOffset / bytesPerSample + blockWidth * rows,
      );
      if (predictor === 2) undoHorizontalDifferencing(data, blockWidth, rows);
      return data;
    },
  };
  return reader;
}

function inflateBlock(raw: Buffer, expected: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    // One output chunk a little larger than the block: no concatenation, no spare allocation.
    inflate(raw, { chunkSize: Math.max(64, expected + 64) }, (error, out) => {
      if (error === null) resolve(out);
      else reject(error);
    });
  });
}
