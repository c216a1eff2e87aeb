import { deflateSync } from 'node:zlib';

/** Pixel types a single-band raster may carry. */
export type RasterArray = Uint8Array | Uint16Array | Int16Array | Float32Array;

export interface CogRaster {
  readonly width: number;
  readonly height: number;
  /** Row-major, one band: `data[row * width + col]`. */
  readonly data: RasterArray;
  /** EPSG code of the grid's CRS (4326 or a projected code such as a UTM zone). */
  readonly epsg: number;
  /** Upper-left corner of the upper-left pixel, in CRS units. */
  readonly originX: number;
  readonly originY: number;
  /** Pixel size in CRS units (positive; rows go south). */
  readonly pixelSize: number;
  /** Written as GDAL_NODATA when given. */
  readonly nodata?: number;
}

export interface CogWriteOptions {
  /** Tile edge in pixels, a multiple of 16. Default 256. */
  readonly tileSize?: number;
  /** Default 'deflate' (with horizontal differencing for integer pixels). */
  readonly compression?: 'deflate' | 'none';
  /** zlib level 1-9. Default 6. */
  readonly level?: number;
}

const TAG = {
  ImageWidth: 256,
  ImageLength: 257,
  BitsPerSample: 258,
  Compression: 259,
  Photometric: 262,
  SamplesPerPixel: 277,
  PlanarConfiguration: 284,
  Predictor: 317,
  TileWidth: 322,
  TileLength: 323,
  TileOffsets: 324,
  TileByteCounts: 325,
  SampleFormat: 339,
  ModelPixelScale: 33550,
  ModelTiepoint: 33922,
  GeoKeyDirectory: 34735,
  GdalNodata: 42113,
} as const;

const TYPE = { ASCII: 2, SHORT: 3, LONG: 4, DOUBLE: 12 } as const;
const TYPE_SIZE: Record<number, number> = { 2: 1, 3: 2, 4: 4, 12: 8 };

interface Entry {
  readonly tag: number;
  readonly type: number;
  readonly values: readonly number[] | string;
}

/**
 * Writes one band as a tiled GeoTIFF laid out the cloud-optimized way: header, then the one IFD
 * with all its values, then the tiles in row-major order, so a reader needs one small range
 * request for the directory and one per tile. Classic TIFF (files under 4 GiB), little-endian,
 * DEFLATE with horizontal differencing (predictor 2) for integer pixels. No overviews: the
 * service and its tests read full-resolution windows only.
 *
 * Written for the project's own demo scenes, benchmark tiles and classified rasters; any GeoTIFF
 * reader (geotiff.js, GDAL) opens the result.
 *
 * @example
 * const bytes = writeCog({ width: 64, height: 64, data, epsg: 32631, originX: 501360,
 *   originY: 5629680, pixelSize: 10, nodata: 0 });
 */
export function writeCog(raster: CogRaster, options: CogWriteOptions = {}): Buffer {
  const { width, height, data } = raster;
  const tileSize = options.tileSize ?? 256;
  if (!Number.isInteger(width) || width < 1 || !Number.isInteger(height) || height < 1) {
    throw new RangeError(`raster size ${width}x${height}: width and height must be integers >= 1`);
  }
  if (data.length !== width * height) {
    throw new RangeError(`raster data has ${data.length} values, expected ${width * height}`);
  }
  if (tileSize % 16 !== 0 || tileSize < 16) {
    throw new RangeError(`tileSize ${tileSize}: must be a multiple of 16`);
  }
  const compression = options.compression ?? 'deflate';
  const level = options.level ?? 6;
  const { bitsPerSample, sampleFormat } = describe(data);
  const isInteger = sampleFormat !== 3;
  const predictor = compression === 'deflate' && isInteger ? 2 : 1;

  const tilesAcross = Math.ceil(width / tileSize);
  const tilesDown = Math.ceil(height / tileSize);
  const tiles: Buffer[] = [];
  for (let ty = 0; ty < tilesDown; ty++) {
    for (let tx = 0; tx < tilesAcross; tx++) {
      const tile = cutTile(data, width, height, tx * tileSize, ty * tileSize, tileSize);
      if (predictor === 2) differenceRows(tile, tileSize);
      const bytes = Buffer.from(tile.buffer, tile.byteOffset, tile.byteLength);
      tiles.push(compression === 'deflate' ? deflateSync(bytes, { level }) : bytes);
    }
  }

  const geoKeys = geoKeyDirectory(raster.epsg);
  const entries: Entry[] = [
    { tag: TAG.ImageWidth, type: TYPE.LONG, values: [width] },
    { tag: TAG.ImageLength, type: TYPE.LONG, values: [height] },
    { tag: TAG.BitsPerSample, type: TYPE.SHORT, values: [bitsPerSample] },
    { tag: TAG.Compression, type: TYPE.SHORT, values: [compression === 'deflate' ? 8 : 1] },
    { tag: TAG.Photometric, type: TYPE.SHORT, values: [1] },
    { tag: TAG.SamplesPerPixel, type: TYPE.SHORT, values: [1] },
    { tag: TAG.PlanarConfiguration, type: TYPE.SHORT, values: [1] },
    { tag: TAG.Predictor, type: TYPE.SHORT, values: [predictor] },
    { tag: TAG.TileWidth, type: TYPE.LONG, values: [tileSize] },
    { tag: TAG.TileLength, type: TYPE.LONG, values: [tileSize] },
    // Offsets are patched once the directory's size is known.
    { tag: TAG.TileOffsets, type: TYPE.LONG, values: tiles.map(() => 0) },
    { tag: TAG.TileByteCounts, type: TYPE.LONG, values: tiles.map((t) => t.length) },
    { tag: TAG.SampleFormat, type: TYPE.SHORT, values: [sampleFormat] },
    {
      tag: TAG.ModelPixelScale,
      type: TYPE.DOUBLE,
      values: [raster.pixelSize, raster.pixelSize, 0],
    },
    {
      tag: TAG.ModelTiepoint,
      type: TYPE.DOUBLE,
      values: [0, 0, 0, raster.originX, raster.originY, 0],
    },
    { tag: TAG.GeoKeyDirectory, type: TYPE.SHORT, values: geoKeys },
  ];
  if (raster.nodata !== undefined) {
    entries.push({ tag: TAG.GdalNodata, type: TYPE.ASCII, values: `${raster.nodata}\0` });
  }

  const layout = layoutDirectory(entries);
  let offset = layout.end;
  const offsets = tiles.map((tile) => {
    const at = offset;
    offset += tile.length;
    return at;
  });
  if (offset > 0xffffffff) {
    throw new RangeError(`GeoTIFF of ${offset} bytes needs BigTIFF, which this writer does not do`);
  }
  const placeholder = entries.findIndex((e) => e.tag === TAG.TileOffsets);
  entries[placeholder] = { tag: TAG.TileOffsets, type: TYPE.LONG, values: offsets };

  const out = Buffer.alloc(offset);
  out.write('II', 0, 'latin1');
  out.writeUInt16LE(42, 2);
  out.writeUInt32LE(8, 4);
  writeDirectory(out, entries, layout);
  let at = layout.end;
  for (const tile of tiles) {
    tile.copy(out, at);
    at += tile.length;
  }
  return out;
}

function describe(data: RasterArray): { bitsPerSample: number; sampleFormat: number } {
  if (data instanceof Uint8Array) return { bitsPerSample: 8, sampleFormat: 1 };
  if (data instanceof Uint16Array) return { bitsPerSample: 16, sampleFormat: 1 };
  if (data instanceof Int16Array) return { bitsPerSample: 16, sampleFormat: 2 };
  return { bitsPerSample: 32, sampleFormat: 3 };
}

/** One tile, padded with zeros past the raster's right and bottom edges (TIFF tiles are whole). */
function cutTile(
  data: RasterArray,
  width: number,
  height: number,
  x0: number,
  y0: number,
  size: number,
): RasterArray {
  const Ctor = data.constructor as new (length: number) => RasterArray;
  const tile = new Ctor(size * size);
  const cols = Math.min(size, width - x0);
  const rows = Math.min(size, height - y0);
  for (let r = 0; r < rows; r++) {
    const from = (y0 + r) * width + x0;
    tile.set(data.subarray(from, from + cols), r * size);
  }
  return tile;
}

/** TIFF predictor 2: each sample becomes its difference to the one on its left (per row). */
function differenceRows(tile: RasterArray, size: number): void {
  for (let r = 0; r < size; r++) {
    const row = r * size;
    for (let c = size - 1; c > 0; c--) {
      tile[row + c] = (tile[row + c] ?? 0) - (tile[row + c - 1] ?? 0);
    }
  }
}

/** GeoKeyDirectory for a projected EPSG code, or geographic for 4326 (and other 4xxx codes). */
function geoKeyDirectory(epsg: number): number[] {
  const geographic = epsg >= 4000 && epsg < 5000;
  const keys: [number, number][] = geographic
    ? [
        [1024, 2],
        [1025, 1],
        [2048, epsg],
      ]
    : [
        [1024, 1],
        [1025, 1],
        [3072, epsg],
      ];
  return [1, 1, 0, keys.length, ...keys.flatMap(([key, value]) => [key, 0, 1, value])];
}

interface DirectoryLayout {
  /** Where each entry's values live when they do not fit in the entry's 4 bytes. */
  readonly valueOffsets: readonly (number | null)[];
  readonly end: number;
}

function valueBytes(entry: Entry): number {
  const count = typeof entry.values === 'string' ? entry.values.length : entry.values.length;
  return count * (TYPE_SIZE[entry.type] ?? 1);
}

function layoutDirectory(entries: Entry[]): DirectoryLayout {
  entries.sort((a, b) => a.tag - b.tag);
  const ifdStart = 8;
  let next = ifdStart + 2 + entries.length * 12 + 4;
  const valueOffsets = entries.map((entry) => {
    const bytes = valueBytes(entry);
    if (bytes <= 4) return null;
    const at = next;
    next += bytes + (bytes % 2);
    return at;
  });
  return { valueOffsets, end: next };
}

function writeDirectory(out: Buffer, entries: readonly Entry[], layout: DirectoryLayout): void {
  let at = 8;
  out.writeUInt16LE(entries.length, at);
  at += 2;
  entries.forEach((entry, i) => {
    const count = entry.values.length;
    out.writeUInt16LE(entry.tag, at);
    out.writeUInt16LE(entry.type, at + 2);
    out.writeUInt32LE(count, at + 4);
    const valueAt = layout.valueOffsets[i];
    if (valueAt === null || valueAt === undefined) writeValues(out, entry, at + 8);
    else {
      out.writeUInt32LE(valueAt, at + 8);
      writeValues(out, entry, valueAt);
    }
    at += 12;
  });
  out.writeUInt32LE(0, at);
}

function writeValues(out: Buffer, entry: Entry, at: number): void {
  if (typeof entry.values === 'string') {
    out.write(entry.values, at, 'latin1');
    return;
  }
  entry.values.forEach((value, i) => {
    if (entry.type === TYPE.SHORT) out.writeUInt16LE(value, at + i * 2);
    else if (entry.type === TYPE.LONG) out.writeUInt32LE(value, at + i * 4);
    else out.writeDoubleLE(value, at + i * 8);
  });
}
