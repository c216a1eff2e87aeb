import type { PixelWindow, TileGrid } from '../../geo/index.ts';
import type { TypedArray } from 'geotiff';
import { openCog, type OpenCog } from '../tile/open-cog.ts';
import { TileReadError } from '../tile/tile-read-error.ts';
import { BAND_NAMES, type AssetKey, type SceneAsset, type SceneItem } from '../types.ts';
import type { ParcelPixels } from './parcel-pixels.ts';

/** One scene read over some parcels: per parcel, per band (BAND_NAMES order), per pixel. */
export interface SceneRead {
  /** `values[i][b][k]`: reflectance of pixel k of parcels[i] in band b; NaN where masked. */
  values: Float32Array[][];
  /** Unmasked pixels per parcel. */
  clearPixels: number[];
}

/** Options for {@link readSceneOverParcels}. */
export interface ReadSceneOptions {
  /** `table[c] === 1` when SCL class c is excluded (see `sclExclusionTable`). */
  excludedScl: Uint8Array;
  /** Side of the square cells (10 m pixels, aligned to the scene's origin) windows are cut by. */
  cellPx: number;
  signal?: AbortSignal;
}

const ASSET_KEYS: readonly AssetKey[] = [...BAND_NAMES, 'scl'];
const GRID_TOLERANCE_PX = 1e-6;

/** How one band's pixels map onto the scene's 10 m grid. */
interface BandMapping {
  cog: OpenCog;
  asset: SceneAsset;
  /** Band pixel size over 10 m pixel size: 1 for 10 m bands, 2 for 20 m bands. */
  ratioX: number;
  ratioY: number;
  /** 10 m pixels between the band's origin and the 10 m grid's origin. */
  shiftX: number;
  shiftY: number;
}

/**
 * Reads the 10 bands and SCL of one scene over a set of parcels, once per window: the parcels'
 * pixels inside the scene are grouped by square cells of `cellPx` 10 m pixels aligned to the
 * scene's origin (so a window never straddles a COG tile that another window also decodes, when
 * `cellPx` is a multiple of the tile size), and each cell's window is the bounding box of the
 * parcel pixels in it. Each COG is opened once per call, each window read once per band at the
 * band's own resolution (20 m bands at 20 m), and each 10 m pixel takes the value of the band
 * pixel that contains it.
 *
 * Reflectance is `DN × scale + offset` from the asset. A pixel is masked (NaN in every band) when
 * its SCL class is excluded, or any band (or SCL) holds its nodata value; pixels outside the
 * scene stay NaN too.
 *
 * @param item - The scene.
 * @param grid - The scene's 10 m grid (see `itemGrid`).
 * @param offset - The scene's placement in the grid the parcels' rows/cols refer to.
 * @param parcels - Parcel pixels on the season grid (`row = sceneRow + rowOffset`).
 * @param options - SCL exclusion table, cell size, signal.
 * @returns Values and clear-pixel counts, in the order of `parcels`.
 * @throws {TileReadError} For a missing asset, an unreadable or truncated COG, a COG whose CRS,
 *   shape, grid or nodata disagree with the item, a window outside the image.
 * @example
 * ```ts
 * const read = await readSceneOverParcels(item, grid, { colOffset: 0, rowOffset: 0 }, pixels, {
 *   excludedScl: sclExclusionTable(DEFAULT_EXCLUDED_SCL_CLASSES),
 *   cellPx: 2048,
 * });
 * ```
 */
export async function readSceneOverParcels(
  item: SceneItem,
  grid: TileGrid,
  offset: { colOffset: number; rowOffset: number },
  parcels: readonly ParcelPixels[],
  options: ReadSceneOptions,
): Promise<SceneRead> {
  const { excludedScl, cellPx, signal } = options;
  const missing = ASSET_KEYS.filter((key) => item.assets[key] === undefined);
  if (missing.length > 0) {
    throw new TileReadError(
      'missing_asset',
      `item ${item.id} has no asset ${missing.join(', ')} (Earth Search keys, or B02-style ids)`,
      { itemId: item.id, missing },
    );
  }
  const values = parcels.map((parcel) =>
    BAND_NAMES.map(() => new Float32Array(parcel.rows.length).fill(NaN)),
  );
  const clearPixels = parcels.map(() => 0);

  // Cells: the parcels with pixels in each, and the bounding box of those pixels.
  const { width, height } = grid;
  const cellCols = Math.ceil(width / cellPx);
  const cells = new Map<number, { box: [number, number, number, number]; parcels: number[] }>();
  parcels.forEach((parcel, i) => {
    for (let k = 0; k < parcel.rows.length; k++) {
      const row = (parcel.rows[k] ?? 0) - offset.rowOffset;
      const col = (parcel.cols[k] ?? 0) - offset.colOffset;
      if (row < 0 || col < 0 || row >= height || col >= width) continue;
      const key = Math.floor(row / cellPx) * cellCols + Math.floor(col / cellPx);
      let cell = cells.get(key);
      if (cell === undefined) {
        cell = { box: [row, col, row + 1, col + 1], parcels: [] };
        cells.set(key, cell);
      }
      const { box } = cell;
      if (row < box[0]) box[0] = row;
      if (col < box[1]) box[1] = col;
      if (row + 1 > box[2]) box[2] = row + 1;
      if (col + 1 > box[3]) box[3] = col + 1;
      if (cell.parcels[cell.parcels.length - 1] !== i) cell.parcels.push(i);
    }
  });
  if (cells.size === 0) return { values, clearPixels };

  const mappings = await openAll(item, grid, signal);
  try {
    const keys = [...cells.keys()].sort((x, y) => x - y);
    const sclIndex = ASSET_KEYS.length - 1;
    for (const key of keys) {
      signal?.throwIfAborted();
      const cell = cells.get(key);
      if (cell === undefined) continue;
      const [row0, col0, row1, col1] = cell.box;
      const window: PixelWindow = { col0, row0, cols: col1 - col0, rows: row1 - row0 };
      const reads = await Promise.all(
        mappings.map(async (mapping) => {
          const bandWindow = bandWindowFor(mapping, window);
          const data = await mapping.cog.readWindow(bandWindow, signal);
          return { data, ...lookups(mapping, window, bandWindow) };
        }),
      );
      const scl = reads[sclIndex];
      const sclAsset = mappings[sclIndex]?.asset;
      if (scl === undefined || sclAsset === undefined) continue;
      for (const i of cell.parcels) {
        const parcel = parcels[i];
        const parcelValues = values[i];
        if (parcel === undefined || parcelValues === undefined) continue;
        // The parcel's pixels in this window: their index k and window-local row/column.
        const n = parcel.rows.length;
        const ks = new Int32Array(n);
        const rs = new Int32Array(n);
        const cs = new Int32Array(n);
        let m = 0;
        for (let k = 0; k < n; k++) {
          const r = (parcel.rows[k] ?? 0) - offset.rowOffset - row0;
          const c = (parcel.cols[k] ?? 0) - offset.colOffset - col0;
          if (r < 0 || c < 0 || r >= window.rows || c >= window.cols) continue;
          ks[m] = k;
          rs[m] = r;
          cs[m] = c;
          m++;
        }
        // Band by band (one typed array at a time keeps the loops monomorphic): SCL, nodata.
        const valid = new Uint8Array(m);
        {
          const { data, rowLookup, colLookup, cols } = scl;
          const nodata = sclAsset.nodata;
          for (let j = 0; j < m; j++) {
            const value = data[(rowLookup[rs[j] ?? 0] ?? 0) * cols + (colLookup[cs[j] ?? 0] ?? 0)];
            valid[j] = value !== undefined && value !== nodata && excludedScl[value] === 0 ? 1 : 0;
          }
        }
        for (let b = 0; b < BAND_NAMES.length; b++) {
          const read = reads[b];
          const asset = mappings[b]?.asset;
          if (read === undefined || asset === undefined) continue;
          const { data, rowLookup, colLookup, cols } = read;
          const nodata = asset.nodata;
          for (let j = 0; j < m; j++) {
            if (valid[j] === 0) continue;
            const dn = data[(rowLookup[rs[j] ?? 0] ?? 0) * cols + (colLookup[cs[j] ?? 0] ?? 0)];
            if (dn === undefined || dn === nodata || Number.isNaN(dn)) valid[j] = 0;
          }
        }
        for (let b = 0; b < BAND_NAMES.length; b++) {
          const read = reads[b];
          const asset = mappings[b]?.asset;
          const band = parcelValues[b];
          if (read === undefined || asset === undefined || band === undefined) continue;
          const { data, rowLookup, colLookup, cols } = read;
          const { scale, offset: add } = asset;
          for (let j = 0; j < m; j++) {
            if (valid[j] === 0) continue;
            const dn =
              data[(rowLookup[rs[j] ?? 0] ?? 0) * cols + (colLookup[cs[j] ?? 0] ?? 0)] ?? NaN;
            band[ks[j] ?? 0] = dn * scale + add;
          }
        }
        let clear = 0;
        for (let j = 0; j < m; j++) clear += valid[j] ?? 0;
        clearPixels[i] = (clearPixels[i] ?? 0) + clear;
      }
    }
  } finally {
    await Promise.all(mappings.map((mapping) => mapping.cog.close()));
  }
  return { values, clearPixels };
}

interface WindowRead {
  data: TypedArray;
  /** For each window row/column, the row/column in `data`. */
  rowLookup: Int32Array;
  colLookup: Int32Array;
  cols: number;
}

function bandWindowFor(mapping: BandMapping, window: PixelWindow): PixelWindow {
  const { ratioX, ratioY, shiftX, shiftY } = mapping;
  const col0 = Math.floor((window.col0 + shiftX) / ratioX);
  const row0 = Math.floor((window.row0 + shiftY) / ratioY);
  const col1 = Math.floor((window.col0 + window.cols - 1 + shiftX) / ratioX) + 1;
  const row1 = Math.floor((window.row0 + window.rows - 1 + shiftY) / ratioY) + 1;
  return { col0, row0, cols: col1 - col0, rows: row1 - row0 };
}

function lookups(
  mapping: BandMapping,
  window: PixelWindow,
  bandWindow: PixelWindow,
): Omit<WindowRead, 'data'> {
  const rowLookup = new Int32Array(window.rows);
  const colLookup = new Int32Array(window.cols);
  for (let r = 0; r < window.rows; r++) {
    rowLookup[r] =
      Math.floor((window.row0 + r + mapping.shiftY) / mapping.ratioY) - bandWindow.row0;
  }
  for (let c = 0; c < window.cols; c++) {
    colLookup[c] =
      Math.floor((window.col0 + c + mapping.shiftX) / mapping.ratioX) - bandWindow.col0;
  }
  return { rowLookup, colLookup, cols: bandWindow.cols };
}

/** Opens every asset's COG, checks it against the item, and maps it onto the 10 m grid. */
async function openAll(
  item: SceneItem,
  grid: TileGrid,
  signal: AbortSignal | undefined,
): Promise<BandMapping[]> {
  const settled = await Promise.allSettled(
    ASSET_KEYS.map(async (key) => {
      const asset = item.assets[key];
      if (asset === undefined) throw new Error(`asset ${key} vanished`);
      return { key, asset, cog: await openCog(asset.href, signal) };
    }),
  );
  const opened = settled.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
  try {
    const rejected = settled.find((result) => result.status === 'rejected');
    if (rejected !== undefined) throw rejected.reason;
    return opened.map(({ key, asset, cog }) => checkAndMap(item, grid, key, asset, cog));
  } catch (error) {
    await Promise.all(opened.map(({ cog }) => cog.close()));
    throw error;
  }
}

function checkAndMap(
  item: SceneItem,
  grid: TileGrid,
  key: AssetKey,
  asset: SceneAsset,
  cog: OpenCog,
): BandMapping {
  const header = cog.grid;
  const where = `item ${item.id} asset ${key} (${asset.href})`;
  if (header.epsg !== item.epsg) {
    throw new TileReadError(
      'crs_mismatch',
      `${where}: COG CRS EPSG:${header.epsg} differs from the item's proj:epsg ${item.epsg}`,
      { itemId: item.id, asset: key, cogEpsg: header.epsg, itemEpsg: item.epsg },
    );
  }
  if (
    asset.shape !== undefined &&
    (asset.shape[0] !== header.height || asset.shape[1] !== header.width)
  ) {
    throw new TileReadError(
      'shape_mismatch',
      `${where}: COG is ${header.height} x ${header.width} px but proj:shape says ${asset.shape[0]} x ${asset.shape[1]}`,
      {
        itemId: item.id,
        asset: key,
        shape: asset.shape,
        width: header.width,
        height: header.height,
      },
    );
  }
  if (asset.transform !== undefined) {
    const [a, , c, , e, f] = asset.transform;
    const tolerance = GRID_TOLERANCE_PX * header.pixelWidth;
    if (
      Math.abs(a - header.pixelWidth) > tolerance ||
      Math.abs(-e - header.pixelHeight) > tolerance ||
      Math.abs(c - header.originX) > tolerance ||
      Math.abs(f - header.originY) > tolerance
    ) {
      throw new TileReadError(
        'grid_mismatch',
        `${where}: COG grid [${header.pixelWidth}, 0, ${header.originX}, 0, ${-header.pixelHeight}, ${header.originY}] differs from proj:transform ${JSON.stringify(asset.transform)}`,
        { itemId: item.id, asset: key },
      );
    }
  }
  if (cog.nodata !== null && cog.nodata !== asset.nodata) {
    throw new TileReadError(
      'nodata_mismatch',
      `${where}: COG nodata ${cog.nodata} differs from raster:bands nodata ${asset.nodata}`,
      { itemId: item.id, asset: key, cogNodata: cog.nodata, assetNodata: asset.nodata },
    );
  }
  const [a, , c, , e, f] = grid.transform;
  const ratioX = header.pixelWidth / a;
  const ratioY = header.pixelHeight / -e;
  const shiftX = (c - header.originX) / a;
  const shiftY = (header.originY - f) / -e;
  const whole = (value: number): boolean =>
    Math.abs(value - Math.round(value)) <= GRID_TOLERANCE_PX;
  if (
    !whole(ratioX) ||
    !whole(ratioY) ||
    Math.round(ratioX) < 1 ||
    !whole(shiftX) ||
    !whole(shiftY)
  ) {
    throw new TileReadError(
      'grid_mismatch',
      `${where}: its ${header.pixelWidth} m pixels at [${header.originX}, ${header.originY}] do not nest the item's ${a} m grid at [${c}, ${f}]`,
      { itemId: item.id, asset: key },
    );
  }
  return {
    cog,
    asset,
    ratioX: Math.round(ratioX),
    ratioY: Math.round(ratioY),
    shiftX: Math.round(shiftX),
    shiftY: Math.round(shiftY),
  };
}
