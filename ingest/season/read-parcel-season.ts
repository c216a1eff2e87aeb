import type { TileGrid } from '../../geo/index.ts';
import { DEFAULT_EXCLUDED_SCL_CLASSES, sclExclusionTable } from '../mask/scl-mask.ts';
import { TileReadError } from '../tile/tile-read-error.ts';
import {
  BAND_NAMES,
  type BandName,
  type ItemFailure,
  type ParcelInput,
  type ParcelObservation,
  type ParcelSeason,
  type SceneItem,
} from '../types.ts';
import { itemGrid } from './item-grid.ts';
import { parcelPixels, type ParcelPixels } from './parcel-pixels.ts';
import { readSceneOverParcels, type BlockCounts, type ScenePlans } from './read-scene.ts';
import { buildSeasonGrid, type GridPlacement } from './season-grid.ts';

/** Options for {@link readParcelSeason}. */
export interface ReadParcelSeasonOptions {
  /** Inward buffer in metres applied to each parcel before its pixels are taken (default 0). */
  bufferM?: number;
  /** SCL classes masked out (default {@link DEFAULT_EXCLUDED_SCL_CLASSES}). */
  excludedSclClasses?: readonly number[];
  signal?: AbortSignal;
  /** Called after each item, read or failed. */
  onProgress?: (done: number, total: number, itemId: string) => void;
  /** Items read at the same time (default 2). Memory grows with it. */
  itemConcurrency?: number;
  /**
   * COG blocks (tiles) read at the same time per item (default 8). More keeps the decode pool's
   * worker threads (one per core) busy while the main thread stacks pixels; each block in flight
   * costs one decoded block in a worker.
   */
  blockConcurrency?: number;
}

/** What {@link readParcelSeason} returns. */
export interface ParcelSeasonResult {
  /** One per parcel that lies (at least partly) in the season grid, in input order. */
  parcels: ParcelSeason[];
  /** One per item that could not be used (and one per invalid parcel), with the reason. */
  failures: ItemFailure[];
  /** Ids of parcels that no item's grid covers (in input order). */
  parcelsOutside: string[];
  /** COG blocks decoded over all items, and band blocks skipped because SCL masked them all. */
  blocks: BlockCounts;
}

/**
 * Reads a season of Sentinel-2 L2A scenes over parcels: for each parcel, its pixels on the 10 m
 * grid (exact coverage fractions after an inward buffer of `bufferM`), and for each scene that
 * covers it each pixel's reflectance in the ten bands, masked by SCL and nodata.
 *
 * The season grid is the 10 m grid of the first item (by datetime), extended over every item on
 * the same lattice (same CRS and pixel size, origin a whole number of pixels away; see
 * `buildSeasonGrid`). An item in another CRS or off that lattice fails with `grid_mismatch`: call
 * `readParcelSeason` once per CRS, with that CRS's items and parcels. Each item is read once for
 * all the parcels it covers (`readSceneOverParcels`: parcel pixels grouped by COG block, each block decoded once, each COG opened once
 * per item), so a caller bounds memory by passing parcels in chunks; a chunk reads only its own
 * windows.
 *
 * A scene clouded over a parcel stays in the parcel's series with NaN values and `clearPixels` 0.
 * A scene covers a parcel when at least one of the parcel's pixels lies in the scene's grid (a
 * parcel with no pixel left after the buffer: when its bounding box meets the scene). An item that
 * covers none of the parcels fails with `no_parcel_inside`; any item that cannot be read fails with
 * its `TileReadError` code and message; an invalid parcel geometry fails with `invalid_parcel`.
 * None of those throws: only aborting `signal` rejects (with its reason).
 *
 * @param items - Scenes (any order; read in datetime order).
 * @param parcels - Parcels with WGS84 geometries.
 * @param options - `bufferM`, `excludedSclClasses`, `signal`, `onProgress`, `itemConcurrency`,
 *   `blockConcurrency`.
 * @returns Parcel seasons, failures, parcels outside every item.
 * @throws {RangeError} For invalid options (negative `bufferM`, an SCL class outside 0-255, ...),
 *   before anything is read; the signal's reason when aborted.
 * @example
 * ```ts
 * const { items } = await loadStac('../shared/data/sentinel2/flanders-2018/catalog.json');
 * const { parcels } = await readParcelSeason(items, [{ id: 'ref', geometry }], { bufferM: 10 });
 * parcels[0].observations.filter((o) => o.clearPixels > 0).length; // clear dates
 * ```
 */
export async function readParcelSeason(
  items: readonly SceneItem[],
  parcels: readonly ParcelInput[],
  options: ReadParcelSeasonOptions = {},
): Promise<ParcelSeasonResult> {
  const {
    bufferM = 0,
    excludedSclClasses = DEFAULT_EXCLUDED_SCL_CLASSES,
    signal,
    onProgress,
    itemConcurrency = 2,
    blockConcurrency = 8,
  } = options;
  if (!Number.isFinite(bufferM) || bufferM < 0) {
    throw new RangeError(`bufferM ${String(bufferM)} must be a finite number >= 0`);
  }
  if (!Number.isInteger(blockConcurrency) || blockConcurrency < 1) {
    throw new RangeError(`blockConcurrency ${String(blockConcurrency)} must be a positive integer`);
  }
  if (!Number.isInteger(itemConcurrency) || itemConcurrency < 1) {
    throw new RangeError(`itemConcurrency ${String(itemConcurrency)} must be a positive integer`);
  }
  const excludedScl = sclExclusionTable(excludedSclClasses);
  const failures: ItemFailure[] = [];
  const sorted = [...items].sort(
    (a, b) => a.datetime.getTime() - b.datetime.getTime() || a.id.localeCompare(b.id),
  );
  const total = sorted.length;
  let done = 0;
  const progress = (itemId: string): void => {
    done++;
    onProgress?.(done, total, itemId);
  };
  const fail = (item: SceneItem, error: unknown): void => {
    signal?.throwIfAborted();
    failures.push(toFailure(item, error));
    progress(item.id);
  };

  // 1. Each item's 10 m grid, and the season grid over them.
  const grids: { item: SceneItem; grid: TileGrid }[] = [];
  for (const item of sorted) {
    try {
      grids.push({ item, grid: await itemGrid(item, signal) });
    } catch (error) {
      fail(item, error);
    }
  }
  if (grids.length === 0) {
    return {
      parcels: [],
      failures,
      parcelsOutside: parcels.map((parcel) => parcel.id),
      blocks: { decoded: 0, skippedMasked: 0 },
    };
  }
  const season = buildSeasonGrid(grids.map(({ grid }) => grid));
  const scenes: { item: SceneItem; grid: TileGrid; placement: GridPlacement & { ok: true } }[] = [];
  grids.forEach(({ item, grid }, k) => {
    const placement = season.placements[k];
    if (placement?.ok === true) {
      scenes.push({ item, grid, placement });
    } else {
      failures.push({
        itemId: item.id,
        code: 'grid_mismatch',
        reason: `item ${item.id}: ${placement?.ok === false ? placement.reason : 'no grid'}`,
      });
      progress(item.id);
    }
  });

  // 2. The parcels' pixels on the season grid.
  const pixels: ParcelPixels[] = [];
  const parcelsOutside: string[] = [];
  for (const parcel of parcels) {
    let found: ParcelPixels | null;
    try {
      found = parcelPixels(season.grid, parcel, bufferM);
    } catch (error) {
      failures.push({
        itemId: '',
        parcelId: parcel.id,
        code: 'invalid_parcel',
        reason: `parcel ${parcel.id}: ${(error as Error).message}`,
      });
      continue;
    }
    if (found === null) parcelsOutside.push(parcel.id);
    else pixels.push(found);
  }

  // 3. Each scene over the parcels it covers, each parcel's values copied as soon as a scene is
  // read into its own series, which has a slot per scene covering it (in date order): a scene's
  // flat arrays are let go at once, and no second copy of the season is ever held.
  const coveredBy = scenes.map(({ placement }) =>
    pixels.flatMap((parcel, i) => (covers(placement, parcel) ? [i] : [])),
  );
  const scenesOf = pixels.map(() => [] as number[]);
  const slotsOf = coveredBy.map((covered, scene) =>
    covered.map((i) => {
      const list = scenesOf[i] as number[];
      list.push(scene);
      return list.length - 1;
    }),
  );
  const seriesOf = pixels.map((parcel, i) =>
    BAND_NAMES.map(() => new Float32Array((scenesOf[i]?.length ?? 0) * parcel.rows.length)),
  );
  const clearOf = pixels.map((_, i) => new Int32Array(scenesOf[i]?.length ?? 0));
  const sceneRead = new Uint8Array(scenes.length);
  const plans: ScenePlans = new Map(); // the scenes of a season mostly share one
  const blocks: BlockCounts = { decoded: 0, skippedMasked: 0 };
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < scenes.length) {
      const index = next++;
      const scene = scenes[index];
      if (scene === undefined) continue;
      signal?.throwIfAborted();
      const { item, grid, placement } = scene;
      const covered = coveredBy[index] ?? [];
      if (covered.length === 0) {
        failures.push({
          itemId: item.id,
          code: 'no_parcel_inside',
          reason: `item ${item.id}: no parcel inside item footprint (${grid.width} x ${grid.height} px at [${grid.transform[2]}, ${grid.transform[5]}], EPSG:${grid.epsg})`,
        });
        progress(item.id);
        continue;
      }
      try {
        const read = await readSceneOverParcels(
          item,
          grid,
          placement,
          covered.map((i) => pixels[i] as ParcelPixels),
          { excludedScl, blockConcurrency, plans, ...(signal === undefined ? {} : { signal }) },
        );
        const slots = slotsOf[index] ?? [];
        covered.forEach((i, j) => {
          const pixelCount = pixels[i]?.rows.length ?? 0;
          const slot = slots[j] ?? 0;
          const series = seriesOf[i] ?? [];
          read.values[j]?.forEach((values, b) => series[b]?.set(values, slot * pixelCount));
          (clearOf[i] as Int32Array)[slot] = read.clearPixels[j] ?? 0;
        });
        blocks.decoded += read.blocks.decoded;
        blocks.skippedMasked += read.blocks.skippedMasked;
        sceneRead[index] = 1;
        progress(item.id);
      } catch (error) {
        fail(item, error);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(itemConcurrency, scenes.length) }, worker));
  signal?.throwIfAborted();

  // 4. Each parcel's series, without the slots of scenes that failed.
  const [a] = season.grid.transform;
  const result: ParcelSeason[] = [];
  pixels.forEach((parcel, i) => {
    const sceneList = scenesOf[i] ?? [];
    if (sceneList.length === 0) {
      parcelsOutside.push(parcel.id);
      return;
    }
    const pixelCount = parcel.rows.length;
    const kept = sceneList.flatMap((scene, slot) => (sceneRead[scene] === 1 ? [slot] : []));
    let arrays = seriesOf[i] ?? [];
    seriesOf[i] = []; // held by the result from here on
    if (kept.length < sceneList.length) {
      arrays = arrays.map((full) => {
        const compact = new Float32Array(kept.length * pixelCount);
        kept.forEach((slot, d) =>
          compact.set(full.subarray(slot * pixelCount, (slot + 1) * pixelCount), d * pixelCount),
        );
        return compact;
      });
    }
    const bands = Object.fromEntries(
      BAND_NAMES.map((name, b) => [name, arrays[b] as Float32Array]),
    ) as Record<BandName, Float32Array>;
    const observations: ParcelObservation[] = kept.map((slot) => {
      const item = (scenes[sceneList[slot] as number] as { item: SceneItem }).item;
      return {
        sceneId: item.id,
        date: item.datetime,
        clearPixels: clearOf[i]?.[slot] ?? 0,
        totalPixels: pixelCount,
      };
    });
    result.push({
      parcelId: parcel.id,
      epsg: season.grid.epsg,
      pixelSizeM: Math.abs(a),
      transform: season.grid.transform,
      rows: parcel.rows,
      cols: parcel.cols,
      fractions: parcel.fractions,
      wholePixelCount: parcel.wholePixelCount,
      areaM2: parcel.areaM2,
      series: {
        dates: observations.map((o) => o.date),
        sceneIds: observations.map((o) => o.sceneId),
        pixelCount,
        bands,
      },
      observations,
    });
  });
  const outside = new Set(parcelsOutside);
  return {
    blocks,
    parcels: result,
    failures,
    parcelsOutside: parcels.map((parcel) => parcel.id).filter((id) => outside.has(id)),
  };
}

/** Whether any of the parcel's pixels (or, without pixels, its bounding box) is in the scene. */
function covers(
  placement: { colOffset: number; rowOffset: number; width: number; height: number },
  parcel: ParcelPixels,
): boolean {
  const { colOffset, rowOffset, width, height } = placement;
  if (parcel.rows.length === 0) {
    const { col0, row0, cols, rows } = parcel.window;
    return (
      col0 < colOffset + width &&
      col0 + cols > colOffset &&
      row0 < rowOffset + height &&
      row0 + rows > rowOffset
    );
  }
  for (let k = 0; k < parcel.rows.length; k++) {
    const row = (parcel.rows[k] ?? 0) - rowOffset;
    const col = (parcel.cols[k] ?? 0) - colOffset;
    if (row >= 0 && col >= 0 && row < height && col < width) return true;
  }
  return false;
}

function toFailure(item: SceneItem, error: unknown): ItemFailure {
  if (error instanceof TileReadError) {
    return { itemId: item.id, code: error.code, reason: error.message };
  }
  return {
    itemId: item.id,
    code: 'read_failed',
    reason: `item ${item.id}: ${error instanceof Error ? error.message : String(error)}`,
  };
}
