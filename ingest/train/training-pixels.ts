/**
 * The training material of the crop-type model: for each labelled parcel of each season, the
 * season features of its usable pixels.
 *
 * Pixel selection: a pixel is used when at least `minFraction` of it lies inside the parcel after
 * the inward buffer (which also absorbs the ~10 m registration offset of the Flanders imagery) and
 * it has a clear observation in at least `minClearPeriods` months. Its fraction is kept as its
 * weight.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import {
  classifiablePixels,
  defaultSeasonFeatureSpec,
  featureNamesFor,
  inferHarvestYear,
  type SeasonFeatureSpec,
} from '../features/index.ts';
import type { ModelCardSeason } from '../model/index.ts';
import { readParcelSeason } from '../season/read-parcel-season.ts';
import { loadStac } from '../stac/load-stac.ts';
import {
  parseLabelledParcels,
  type LabelledParcel,
  type SkippedParcel,
} from './labelled-parcels.ts';

export interface TrainingSeason {
  /** STAC catalog, collection, item or folder (path or URL). */
  readonly stac: string;
  /** Labelled parcels GeoJSON for that season. */
  readonly parcels: string;
}

export interface ParcelPixels {
  readonly id: string;
  readonly cropCode: number;
  readonly cropName: string | null;
  readonly harvestYear: number;
  /** `count x featureCount`, row-major. */
  readonly features: Float32Array;
  /** Per pixel: its fraction inside the buffered parcel. */
  readonly weights: Float32Array;
  readonly count: number;
}

export interface TrainingPixels {
  readonly featureNames: readonly string[];
  readonly featureSpec: SeasonFeatureSpec;
  readonly parcels: readonly ParcelPixels[];
  readonly skipped: readonly SkippedParcel[];
  readonly seasons: readonly ModelCardSeason[];
  /** Parcels with a usable label (before pixel selection). */
  readonly labelledCount: number;
  readonly bufferM: number;
  readonly minFraction: number;
  readonly minClearPeriods: number;
}

export interface ReadTrainingPixelsOptions {
  readonly seasons: readonly TrainingSeason[];
  /** Inward parcel buffer, m; default 10. */
  readonly bufferM?: number;
  /** Default 0.5. */
  readonly minFraction?: number;
  /** Default 4. */
  readonly minClearPeriods?: number;
  readonly featureSpec?: SeasonFeatureSpec;
  readonly onLoad?: (stac: string) => void;
  readonly onRead?: (done: number, total: number, message: string) => void;
  readonly signal?: AbortSignal;
}

/**
 * Reads every season and computes the features of every usable labelled pixel. Parcels that give
 * no usable pixel, withheld labels and unusable features are listed in `skipped` with the reason.
 *
 * @throws Error when a parcels file cannot be read, a catalog has no usable scene, or a parcel id
 *   appears in two seasons.
 */
export async function readTrainingPixels(
  options: ReadTrainingPixelsOptions,
): Promise<TrainingPixels> {
  const spec = options.featureSpec ?? defaultSeasonFeatureSpec;
  const bufferM = options.bufferM ?? 10;
  const minFraction = options.minFraction ?? 0.5;
  const minClearPeriods = options.minClearPeriods ?? 4;
  const { signal } = options;
  if (options.seasons.length === 0) throw new RangeError('at least one season is needed');
  const featureNames = featureNamesFor(spec);
  const seasons: ModelCardSeason[] = [];
  const skipped: SkippedParcel[] = [];
  const parcels: ParcelPixels[] = [];
  const seenIds = new Set<string>();
  let labelledCount = 0;

  for (const season of options.seasons) {
    options.onLoad?.(season.stac);
    let labelled;
    try {
      const text = await readFile(season.parcels, { encoding: 'utf8', signal });
      labelled = parseLabelledParcels(JSON.parse(text) as unknown, season.parcels);
    } catch (error) {
      throw new Error(`${season.parcels}: ${(error as Error).message}`, { cause: error });
    }
    skipped.push(...labelled.skipped);
    labelledCount += labelled.parcels.length;
    for (const parcel of labelled.parcels) {
      if (seenIds.has(parcel.id))
        throw new Error(`parcel id ${parcel.id} appears in more than one season's parcels`);
      seenIds.add(parcel.id);
    }
    const { items, failures: loadFailures } = await loadStac(season.stac, { signal });
    if (items.length === 0)
      throw new Error(
        `${season.stac}: no usable scene${loadFailures[0] ? ` (${loadFailures[0].reason})` : ''}`,
      );
    const harvestYear = inferHarvestYear(
      items.map((item) => item.datetime),
      spec,
    );
    const byId = new Map<string, LabelledParcel>(labelled.parcels.map((p) => [p.id, p]));
    const seasonName = path.basename(path.dirname(season.stac)) || season.stac;
    const read = await readParcelSeason(
      items,
      labelled.parcels.map((p) => ({ id: p.id, geometry: p.geometry })),
      {
        bufferM,
        signal,
        onProgress: (done, total, itemId) =>
          options.onRead?.(done, total, `${seasonName}: ${itemId}`),
      },
    );
    for (const id of read.parcelsOutside) skipped.push({ id, reason: 'outside every scene' });
    for (const failure of read.failures)
      if (failure.parcelId !== undefined)
        skipped.push({ id: failure.parcelId, reason: failure.reason });
    const sceneDates = items.map((item) => item.datetime.toISOString()).sort();
    seasons.push({
      catalog: season.stac,
      harvestYear,
      firstDate: sceneDates[0] ?? null,
      lastDate: sceneDates.at(-1) ?? null,
      sceneCount: items.length,
      failedItems:
        loadFailures.length + read.failures.filter((f) => f.parcelId === undefined).length,
    });

    for (const parcelSeason of read.parcels) {
      const label = byId.get(parcelSeason.parcelId);
      if (label === undefined) continue;
      const { keep, rows } = classifiablePixels(parcelSeason.series, parcelSeason.fractions, {
        spec,
        harvestYear,
        minFraction,
        minClearPeriods,
      });
      if (keep.length === 0) {
        skipped.push({
          id: label.id,
          reason: `no pixel with fraction >= ${minFraction} and >= ${minClearPeriods} clear months after a ${bufferM} m inward buffer (${parcelSeason.series.pixelCount} pixels in all)`,
        });
        continue;
      }
      const weights = new Float32Array(keep.length);
      keep.forEach((p, i) => (weights[i] = parcelSeason.fractions[p] as number));
      parcels.push({
        id: label.id,
        cropCode: label.cropCode,
        cropName: label.cropName,
        harvestYear,
        features: rows,
        weights,
        count: keep.length,
      });
    }
  }
  return {
    featureNames,
    featureSpec: spec,
    parcels,
    skipped,
    seasons,
    labelledCount,
    bufferM,
    minFraction,
    minClearPeriods,
  };
}
