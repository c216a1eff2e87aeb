import type { TileGrid } from '../../geo/index.ts';
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
  /** COG blocks decoded, and band blocks not decoded because SCL masks all their pixels. */
  blocks: BlockCounts;
}

/** COG blocks of a read: decoded, and skipped because every pixel wanted was masked by SCL. */
export interface BlockCounts {
  decoded: number;
  skippedMasked: number;
}

/** Options for {@link readSceneOverParcels}. */
export interface ReadSceneOptions {
  /** `table[c] === 1` when SCL class c is excluded (see `sclExclusionTable`). */
  excludedScl: Uint8Array;
  /** COG blocks read at the same time (default 8): enough to keep the decode pool busy. */
  blockConcurrency?: number;
  /**
   * Where to keep the pixel plans (which pixels fall in which block) for later calls with the
   * same scene grid, placement and parcels: the scenes of a season share them, and working one
   * out costs as much main-thread time as stacking the scene's pixels. See {@link ScenePlans}.
   */
  plans?: ScenePlans;
  signal?: AbortSignal;
}

/**
 * Pixel plans of {@link readSceneOverParcels}, kept by the caller for the scenes of one set of
 * parcels (a `readParcelSeason` call): keyed by the scene's grid size and placement and the
 * parcels (the `ParcelPixels` objects themselves, not their ids, which callers may repeat), each
 * with the block grouping of each block layout met.
 */
export type ScenePlans = Map<string, ScenePlan>;

/** A number per `ParcelPixels` object, for plan keys. */
const identities = new WeakMap<ParcelPixels, number>();
let nextIdentity = 0;

function identityOf(parcel: ParcelPixels): number {
  let identity = identities.get(parcel);
  if (identity === undefined) {
    identity = nextIdentity++;
    identities.set(parcel, identity);
  }
  return identity;
}

interface ScenePlan {
  /** Parcel i's pixels are `[starts[i], starts[i + 1])` of the flat arrays. */
  starts: Int32Array;
  total: number;
  /** Scene-local row/column of each pixel, or -1 for a pixel outside the scene. */
  sceneRows: Int32Array;
  sceneCols: Int32Array;
  inside: number;
  /** By block layout: pixel ratio and shift to the 10 m grid, block size, image size. */
  layouts: Map<string, BlockGroups>;
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
 * Reads the 10 bands and SCL of one scene over a set of parcels, decoding each COG block (tile)
 * that holds parcel pixels exactly once, and no other: the parcels' pixels inside the scene are
 * grouped by the block of each asset that holds them (20 m bands at 20 m: each 10 m pixel takes
 * the value of the band pixel that contains it), blocks are read several at a time
 * (`blockConcurrency`; local blocks are decoded on the decode pool's worker threads, which hand
 * back only the wanted pixels: `OpenCog.readBlockPixels`), and each block's values go straight
 * into flat per-band arrays over all the call's pixels, with no intermediate window. Each COG is
 * opened once per call; which pixel lies in which block is worked out once per `plans` entry.
 * SCL blocks are decoded first: a band block none of whose parcel pixels SCL leaves clear is not
 * decoded at all (so damage to such a block goes unnoticed; its pixels are masked either way).
 *
 * Reflectance is `DN × scale + offset` from the asset. A pixel is masked (NaN in every band) when
 * its SCL class is excluded, or any band (or SCL) holds its nodata value; pixels outside the
 * scene stay NaN too. DNs are held as float32 on the way, exact for Sentinel-2's 8- and 16-bit
 * types (a 32-bit integer or float64 nodata is compared after rounding to float32).
 *
 * @param item - The scene.
 * @param grid - The scene's 10 m grid (see `itemGrid`).
 * @param offset - The scene's placement in the grid the parcels' rows/cols refer to.
 * @param parcels - Parcel pixels on the season grid (`row = sceneRow + rowOffset`).
 * @param options - SCL exclusion table, blocks in flight, signal.
 * @returns Values and clear-pixel counts, in the order of `parcels` (each parcel's band arrays
 *   are views of one array per band).
 * @throws {TileReadError} For a missing asset, an unreadable or truncated COG, a COG whose CRS,
 *   shape, grid or nodata disagree with the item, a pixel outside the image, a corrupt block.
 * @example
 * ```ts
 * const read = await readSceneOverParcels(item, grid, { colOffset: 0, rowOffset: 0 }, pixels, {
 *   excludedScl: sclExclusionTable(DEFAULT_EXCLUDED_SCL_CLASSES),
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
  const { excludedScl, blockConcurrency = 8, signal } = options;
  const missing = ASSET_KEYS.filter((key) => item.assets[key] === undefined);
  if (missing.length > 0) {
    throw new TileReadError(
      'missing_asset',
      `item ${item.id} has no asset ${missing.join(', ')} (Earth Search keys, or B02-style ids)`,
      { itemId: item.id, missing },
    );
  }
  const planKey = [
    grid.width,
    grid.height,
    offset.colOffset,
    offset.rowOffset,
    ...parcels.map(identityOf),
  ].join();
  let plan = options.plans?.get(planKey);
  if (plan === undefined) {
    plan = planPixels(grid, offset, parcels);
    options.plans?.set(planKey, plan);
  }
  const { starts, total, sceneRows, sceneCols, inside } = plan;
  // Raw DNs per asset (BAND_NAMES order, then SCL), as float32: exact for the integer types of
  // Sentinel-2 (and any type up to 24 bits); NaN for pixels outside the scene.
  // Only SCL starts as NaN: a pixel outside the scene keeps a NaN class, which masks it (and
  // sets it to NaN) in every band below.
  const sclIndex = ASSET_KEYS.length - 1;
  const bands = ASSET_KEYS.map((_, a) => {
    const band = new Float32Array(total);
    return a === sclIndex || inside === 0 ? band.fill(NaN) : band;
  });
  const clearPixels = parcels.map(() => 0);
  let skippedBlocks = 0;
  let decodedBlocks = 0;
  const toResult = (): SceneRead => ({
    values: parcels.map((_, i) =>
      BAND_NAMES.map((_, b) =>
        (bands[b] as Float32Array).subarray(starts[i] ?? 0, starts[i + 1] ?? 0),
      ),
    ),
    clearPixels,
    blocks: { decoded: decodedBlocks, skippedMasked: skippedBlocks },
  });
  if (inside === 0) return toResult();

  const mappings = await openAll(item, grid, signal);
  // 1 where the pixel's SCL class is neither excluded nor nodata.
  const sclClear = new Uint8Array(total);
  try {
    // Pixels grouped by the block that holds them, once per distinct block layout (10 m, 20 m).
    const { layouts } = plan;
    const jobs: BlockJob[] = [];
    mappings.forEach((mapping, asset) => {
      const { ratioX, ratioY, shiftX, shiftY, cog } = mapping;
      const { blocks } = cog;
      const key = [
        ratioX,
        ratioY,
        shiftX,
        shiftY,
        blocks.width,
        blocks.height,
        blocks.across,
        cog.grid.width,
        cog.grid.height,
      ].join();
      let groups = layouts.get(key);
      if (groups === undefined) {
        groups = groupByBlock(mapping, sceneRows, sceneCols, inside, item.id);
        layouts.set(key, groups);
      }
      for (let g = 0; g < groups.blocks.length; g++) {
        jobs.push({ asset, mapping, groups, block: g });
      }
    });
    const readJob = async ({ groups, block, mapping, asset }: BlockJob): Promise<void> => {
      const index = groups.blocks[block] ?? 0;
      const { across } = mapping.cog.blocks;
      const values = await mapping.cog.readBlockPixels(
        index % across,
        Math.floor(index / across),
        groups.positionsOf(block),
        signal,
      );
      scatter(values, groups, block, bands[asset] as Float32Array);
    };
    // SCL first: a band block whose parcel pixels are all masked by their SCL class holds
    // nothing the season keeps, and is not decoded at all (on a cloudy scene, most of them).
    const sclJobs = jobs.filter((job) => job.asset === sclIndex);
    await runBlockJobs(sclJobs, blockConcurrency, signal, readJob);
    const scl = bands[sclIndex] as Float32Array;
    const sclNodata = Math.fround(mappings[sclIndex]?.asset.nodata ?? NaN);
    for (let j = 0; j < total; j++) {
      const value = scl[j] as number;
      sclClear[j] = value === value && value !== sclNodata && excludedScl[value] === 0 ? 1 : 0;
    }
    const bandJobs = jobs.filter(
      (job) => job.asset !== sclIndex && anyClear(job.groups, job.block, sclClear),
    );
    skippedBlocks = jobs.length - sclJobs.length - bandJobs.length;
    decodedBlocks = sclJobs.length + bandJobs.length;
    // Block by block, every band of a block together: several blocks in flight, so the decode
    // pool works on every core while this thread stacks pixels.
    bandJobs.sort(
      (x, y) => x.groups.blockIndex(x.block) - y.groups.blockIndex(y.block) || x.asset - y.asset,
    );
    await runBlockJobs(bandJobs, blockConcurrency, signal, readJob);
  } finally {
    await Promise.all(mappings.map((mapping) => mapping.cog.close()));
  }

  // Mask and scale: a pixel is clear when its SCL class is not excluded and no asset holds
  // its nodata; clear pixels get DN x scale + offset in every band, the others NaN.
  // Band by band, each pass over one array: a pixel's bands lie in eleven arrays, and a loop
  // over them per pixel costs twice as much.
  const clear = sclClear.slice();
  for (let b = 0; b < BAND_NAMES.length; b++) {
    const band = bands[b] as Float32Array;
    const nodata = Math.fround(mappings[b]?.asset.nodata ?? NaN);
    for (let j = 0; j < total; j++) {
      const dn = band[j] as number;
      if (dn !== dn || dn === nodata) clear[j] = 0;
    }
  }
  for (let b = 0; b < BAND_NAMES.length; b++) {
    const band = bands[b] as Float32Array;
    const asset = mappings[b]?.asset;
    const scale = asset?.scale ?? 1;
    const add = asset?.offset ?? 0;
    for (let j = 0; j < total; j++) {
      band[j] = clear[j] === 1 ? (band[j] as number) * scale + add : NaN;
    }
  }
  for (let i = 0; i < parcels.length; i++) {
    let count = 0;
    const end = starts[i + 1] as number;
    for (let j = starts[i] as number; j < end; j++) count += clear[j] as number;
    clearPixels[i] = count;
  }
  return toResult();
}

/**
 * The pixels of a call grouped by the block of one block layout that holds them (a counting
 * sort): block `blocks[g]` (row-major block index) holds the pixels `pixels[s]` for
 * `s` in `[firstOf[g], firstOf[g + 1])`. A 20 m band pixel holds up to four 10 m pixels, so a
 * block's wanted positions (`row * block width + col`) are kept once each: pixel `pixels[s]`
 * takes value `valueAt[s]` of the block's decoded values, whose positions are `positionsOf(g)`.
 */
interface BlockGroups {
  blocks: Int32Array;
  firstOf: Int32Array;
  pixels: Int32Array;
  /** Index into the group's decoded values, per entry of `pixels`. */
  valueAt: Int32Array;
  blockIndex(g: number): number;
  /** Group g's distinct positions in an array of their own (what a decode job carries). */
  positionsOf(g: number): Int32Array;
}

/** Every parcel pixel of a call, flat, with its row and column in the scene. */
function planPixels(
  grid: TileGrid,
  offset: { colOffset: number; rowOffset: number },
  parcels: readonly ParcelPixels[],
): ScenePlan {
  const starts = new Int32Array(parcels.length + 1);
  parcels.forEach((parcel, i) => (starts[i + 1] = (starts[i] ?? 0) + parcel.rows.length));
  const total = starts[parcels.length] ?? 0;
  const sceneRows = new Int32Array(total);
  const sceneCols = new Int32Array(total);
  let inside = 0;
  const { width, height } = grid;
  parcels.forEach((parcel, i) => {
    const base = starts[i] ?? 0;
    for (let k = 0; k < parcel.rows.length; k++) {
      const row = (parcel.rows[k] ?? 0) - offset.rowOffset;
      const col = (parcel.cols[k] ?? 0) - offset.colOffset;
      const isInside = row >= 0 && col >= 0 && row < height && col < width;
      sceneRows[base + k] = isInside ? row : -1;
      sceneCols[base + k] = isInside ? col : -1;
      if (isInside) inside++;
    }
  });
  return { starts, total, sceneRows, sceneCols, inside, layouts: new Map() };
}

function groupByBlock(
  mapping: BandMapping,
  sceneRows: Int32Array,
  sceneCols: Int32Array,
  inside: number,
  itemId: string,
): BlockGroups {
  const { ratioX, ratioY, shiftX, shiftY, cog } = mapping;
  const { width: blockWidth, height: blockHeight, across, down } = cog.blocks;
  const { width, height } = cog.grid;
  const total = sceneRows.length;
  const blockOf = new Int32Array(total).fill(-1);
  const positionOf = new Int32Array(total);
  const counts = new Int32Array(across * down);
  for (let j = 0; j < total; j++) {
    const row10 = sceneRows[j] ?? -1;
    if (row10 < 0) continue;
    const row = Math.floor((row10 + shiftY) / ratioY);
    const col = Math.floor(((sceneCols[j] ?? 0) + shiftX) / ratioX);
    if (row < 0 || col < 0 || row >= height || col >= width) {
      throw new TileReadError(
        'window_outside_image',
        `item ${itemId}: pixel (${col}, ${row}) of the scene grid is not within COG ${cog.href} (${width} x ${height} px)`,
        { itemId, href: cog.href, col, row, width, height },
      );
    }
    const by = Math.floor(row / blockHeight);
    const bx = Math.floor(col / blockWidth);
    const block = by * across + bx;
    blockOf[j] = block;
    positionOf[j] = (row - by * blockHeight) * blockWidth + (col - bx * blockWidth);
    counts[block] = (counts[block] ?? 0) + 1;
  }
  let used = 0;
  for (let b = 0; b < counts.length; b++) if ((counts[b] ?? 0) > 0) used++;
  const blocks = new Int32Array(used);
  const firstOf = new Int32Array(used + 1);
  const slotOf = new Int32Array(counts.length);
  let g = 0;
  let position = 0;
  for (let b = 0; b < counts.length; b++) {
    const count = counts[b] ?? 0;
    if (count === 0) continue;
    blocks[g] = b;
    firstOf[g] = position;
    slotOf[b] = position;
    position += count;
    g++;
  }
  firstOf[used] = position;
  const pixels = new Int32Array(inside);
  const positions = new Int32Array(inside);
  for (let j = 0; j < total; j++) {
    const block = blockOf[j] ?? -1;
    if (block < 0) continue;
    const slot = slotOf[block] ?? 0;
    slotOf[block] = slot + 1;
    pixels[slot] = j;
    positions[slot] = positionOf[j] ?? 0;
  }
  // Each group's distinct positions, in order of first use; `stamp` marks a position as seen in
  // group g (g + 1), `indexOf` keeps its index in the group's list.
  const valueAt = new Int32Array(inside);
  const distinct = new Int32Array(inside);
  const distinctFirstOf = new Int32Array(used + 1);
  const stamp = new Int32Array(blockWidth * blockHeight);
  const indexOf = new Int32Array(blockWidth * blockHeight);
  let distinctCount = 0;
  for (let group = 0; group < used; group++) {
    distinctFirstOf[group] = distinctCount;
    const end = firstOf[group + 1] ?? 0;
    for (let slot = firstOf[group] ?? 0; slot < end; slot++) {
      const position = positions[slot] ?? 0;
      if (stamp[position] !== group + 1) {
        stamp[position] = group + 1;
        indexOf[position] = distinctCount - (distinctFirstOf[group] ?? 0);
        distinct[distinctCount++] = position;
      }
      valueAt[slot] = indexOf[position] ?? 0;
    }
  }
  distinctFirstOf[used] = distinctCount;
  const slices: (Int32Array | undefined)[] = [];
  return {
    blocks,
    firstOf,
    pixels,
    valueAt,
    blockIndex: (k) => blocks[k] ?? 0,
    positionsOf: (k) =>
      (slices[k] ??= distinct.slice(distinctFirstOf[k] ?? 0, distinctFirstOf[k + 1] ?? 0)),
  };
}

/** One block of one asset to decode: group `block` of `groups`. */
interface BlockJob {
  asset: number;
  mapping: BandMapping;
  groups: BlockGroups;
  block: number;
}

/**
 * Runs `read` over the jobs, `concurrency` at a time, in their order; the first failure stops
 * the others from starting and is thrown.
 */
async function runBlockJobs(
  jobs: readonly BlockJob[],
  concurrency: number,
  signal: AbortSignal | undefined,
  read: (job: BlockJob) => Promise<void>,
): Promise<void> {
  let next = 0;
  let failed = false;
  const worker = async (): Promise<void> => {
    while (next < jobs.length && !failed) {
      const job = jobs[next++];
      if (job === undefined) continue;
      signal?.throwIfAborted();
      try {
        await read(job);
      } catch (error) {
        failed = true; // the item is lost: read no more of its blocks
        throw error;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, jobs.length) }, worker));
}

/** Whether any pixel of group `g` is clear by its SCL class. */
function anyClear(groups: BlockGroups, g: number, sclClear: Uint8Array): boolean {
  const end = groups.firstOf[g + 1] ?? 0;
  for (let s = groups.firstOf[g] ?? 0; s < end; s++) {
    if (sclClear[groups.pixels[s] as number] === 1) return true;
  }
  return false;
}

/** Puts one block's decoded values into `out` (flat over the call) for each pixel of group g. */
function scatter(values: Float32Array, groups: BlockGroups, g: number, out: Float32Array): void {
  const { pixels, valueAt } = groups;
  const end = groups.firstOf[g + 1] ?? 0;
  for (let s = groups.firstOf[g] ?? 0; s < end; s++) {
    out[pixels[s] as number] = values[valueAt[s] as number] as number;
  }
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
