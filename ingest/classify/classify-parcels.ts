/**
 * Crop type, planted area, status and markers of pledged parcels from a season of Sentinel-2 L2A
 * scenes: STAC items -> per-parcel pixel series (`readParcelSeason`, inward buffer) -> season
 * features of the model's pixels (`classifiablePixels` with the spec stored in the model, on the
 * features pool's threads) -> ONNX pixel classifier ->
 * per-parcel decision.
 *
 * **Pixels used.** After the inward buffer (`bufferM`, default 10 m: it drops the pixels mixed
 * with the neighbouring field and absorbs the ~10 m registration offset of the imagery), a pixel
 * is classified when at least the model's `minFraction` of it lies inside the buffered parcel and
 * it has a clear observation in at least the model's `minClearPeriods` months (the selection the
 * model was trained on). Each pixel is weighted by its fraction inside the buffered parcel.
 *
 * **Crop.** The class with the highest weighted mean probability over the parcel's pixels;
 * `predictedConfidence` is that mean probability. `classFractions` gives, per crop code, the
 * weighted share of the classified pixels whose most probable class it is.
 *
 * **Planted area.** The share of the declared crop (or of the predicted crop when none is
 * declared) among the classified interior pixels, times the parcel's ellipsoidal area (unbuffered):
 * `plantedAreaM2 = areaM2 x classFractions[crop]`. The interior pixels are a sample of the whole
 * field; the edge ring is not classified because its pixels are mixtures of this field and the
 * next (and, with the registration offset, partly the next field altogether), so counting them
 * would both add the neighbour's crop and lose this field's edge. The reference maize parcel of
 * Flanders 2018 (25 215.5 m²) comes out at its area when all its interior pixels are maize.
 *
 * **Status.** `cannot_verify` (never guessed: no crop is predicted) when the parcel keeps fewer
 * than `minWholePixels` whole pixels after the buffer, when fewer than `minClearObservations`
 * scenes saw at least half of it clear, when no pixel has enough clear months, when it lies
 * outside every scene or its geometry is invalid, or when the declared crop is not a class of the
 * model. Otherwise `mismatch` when the predicted crop is not the declared one, `area_shortfall`
 * when the planted area falls short of the declared area (or the parcel's area when none is
 * declared) by more than `areaShortfallTolerance`, else `verified`. Without a declared crop only
 * the area is checked, against the predicted crop.
 *
 * **minClearObservations** (default 6): both Flanders seasons give every parcel with pixels left after
 * the buffer 32-59 dates with at least half of it clear (of 63 and 108 scenes); the features need a clear
 * observation in 4 of 14 months per pixel, and a season of fewer than 6 clear dates leaves most
 * months interpolated, which is when the classifier starts to guess.
 */
import {
  classifiablePixelsOffThread,
  defaultSeasonFeatureSpec,
  inferHarvestYear,
  type ClassifiablePixels,
  type FeatureSelection,
} from '../features/index.ts';
import {
  openOnnxClassifier,
  parseCropModelMetadata,
  type CropClass,
  type CropModelMetadata,
  type OnnxClassifier,
} from '../model/index.ts';
import { readParcelSeason } from '../season/read-parcel-season.ts';
import { chunkGridOfItems, chunkParcelsByCell } from '../season/spatial-chunks.ts';
import type { CropSignatures } from '../simulate/crop-signatures.ts';
import type { AffineTransform, MultiPolygon, Polygon } from '../../geo/index.ts';
import { validatePolygon } from '../../geo/index.ts';
import type { ItemFailure, ParcelSeason, SceneItem } from '../types.ts';
import { detectMarkers, type ParcelMarker } from './detect-markers.ts';
import { sceneStatistics, type ParcelSceneStatistics } from './scene-statistics.ts';

/** A pledged parcel to classify. */
export interface ClassifyParcelInput {
  readonly id: string;
  /** WGS84 `[lng, lat]`. */
  readonly geometry: Polygon | MultiPolygon;
  /** WorldCereal crop-type code the bank was told. */
  readonly declaredCropCode?: number;
  readonly declaredAreaM2?: number;
  readonly properties?: Readonly<Record<string, unknown>>;
}

export type ParcelCropStatus = 'verified' | 'mismatch' | 'area_shortfall' | 'cannot_verify';

/** One clear date of the parcel. */
export interface ParcelNdviPoint {
  readonly date: Date;
  readonly sceneId: string;
  readonly mean: number;
  readonly clearPixels: number;
}

/** What {@link classifyParcels} found for one parcel. */
export interface ParcelCropResult {
  readonly parcelId: string;
  readonly declaredCropCode: number | null;
  readonly declaredAreaM2: number | null;
  /** Ellipsoidal area of the parcel as given, m²; null for an invalid geometry. */
  readonly areaM2: number | null;
  readonly predictedCropCode: number | null;
  readonly predictedCropName: string | null;
  /** Mean probability of the predicted class over the parcel's pixels, 0-1. */
  readonly predictedConfidence: number | null;
  /** Crop code -> share (0-1) of the classified area; empty when nothing was classified. */
  readonly classFractions: Readonly<Record<string, number>>;
  /** The crop `plantedAreaM2` is of: the declared one, else the predicted one. */
  readonly plantedCropCode: number | null;
  readonly plantedAreaM2: number | null;
  /** Whole pixels after the inward buffer. */
  readonly wholePixels: number;
  /** Pixels classified (see the file comment), and their fraction-weighted count. */
  readonly classifiedPixels: number;
  /** Scenes that saw at least `minClearShare` of the parcel clear. */
  readonly clearObservations: number;
  readonly ndviSeries: readonly ParcelNdviPoint[];
  readonly status: ParcelCropStatus;
  readonly statusReason: string;
  readonly markers: readonly ParcelMarker[];
  /** One per scene that covered the parcel (rows of `parcel_observations`). */
  readonly observations: readonly ParcelSceneStatistics[];
  readonly modelVersion: string;
}

export type ClassifyProgress =
  | {
      readonly stage: 'read';
      readonly chunk: number;
      readonly chunkCount: number;
      readonly done: number;
      readonly total: number;
      readonly itemId: string;
    }
  | { readonly stage: 'classify'; readonly parcelsDone: number; readonly parcelCount: number };

export interface ClassifyParcelsOptions {
  /** An open classifier (left open) or the path of an ONNX crop-type model (opened and closed). */
  readonly classifier: OnnxClassifier | string;
  /** Per-crop signatures for the markers; without them no marker is looked for. */
  readonly signatures?: CropSignatures;
  /** Inward buffer, m (default 10). */
  readonly bufferM?: number;
  /** Default 8. */
  readonly minWholePixels?: number;
  /** Default 6 (see the file comment). */
  readonly minClearObservations?: number;
  /** A scene counts as a clear observation of a parcel when this share of it is clear (0.5). */
  readonly minClearShare?: number;
  /** Planted area may fall short of the declared area by this share (default 0.1). */
  readonly areaShortfallTolerance?: number;
  /** Only items with `from <= datetime <= to`. */
  readonly from?: Date;
  readonly to?: Date;
  /** Default: inferred from the items' dates (see `inferHarvestYear`). */
  readonly harvestYear?: number;
  /**
   * Most parcels per `readParcelSeason` call (default 500): parcels are read in chunks of
   * neighbours, by 2 048 px cell of the scenes' grid (`chunkParcelsByCell`). The next chunk is
   * read while the current one is classified, so two chunks are in memory at a time.
   */
  readonly chunkSize?: number;
  readonly excludedSclClasses?: readonly number[];
  /** Also return the per-pixel predicted crop codes over the union window of the parcels. */
  readonly raster?: boolean;
  readonly signal?: AbortSignal;
  readonly onProgress?: (progress: ClassifyProgress) => void;
}

/** Per-pixel predicted crop codes (0 = not classified) on the season grid. */
export interface ClassRaster {
  readonly epsg: number;
  /** Of the raster's upper-left pixel. */
  readonly transform: AffineTransform;
  readonly width: number;
  readonly height: number;
  readonly data: Uint16Array;
  /** Code -> crop name, for the codes in the raster. */
  readonly legend: Readonly<Record<string, string>>;
}

export interface ClassifyParcelsResult {
  /** One per input parcel, in input order. */
  readonly results: ParcelCropResult[];
  /** Items (and invalid parcels) that could not be used, each once, with the reason. */
  readonly failures: ItemFailure[];
  readonly modelVersion: string;
  readonly classes: readonly CropClass[];
  /** Null when no usable item was given. */
  readonly harvestYear: number | null;
  readonly raster: ClassRaster | null;
}

/** Parcels whose features are worked out at a time: enough to keep every features thread busy. */
const FEATURE_JOBS_IN_FLIGHT = 8;

interface PixelPrediction {
  readonly rows: Int32Array;
  readonly cols: Int32Array;
  readonly codes: Uint16Array;
}

/**
 * Classifies parcels (see the file comment for the method). Never throws for a bad item or a bad
 * parcel: each is a failure (item id, reason) or a `cannot_verify` result with the reason. Throws
 * only for a model that cannot be opened or is not a crop-type model, and when `signal` aborts.
 *
 * @example
 * ```ts
 * const { items } = await loadStac('../shared/data/sentinel2/flanders-2018/catalog.json');
 * const { results } = await classifyParcels(items, [{ id: 'ref', geometry, declaredCropCode: 1200 }],
 *   { classifier: 'fixtures/models/crop-type.onnx' });
 * results[0]?.plantedAreaM2; // ~25 200
 * ```
 */
export async function classifyParcels(
  items: readonly SceneItem[],
  parcels: readonly ClassifyParcelInput[],
  options: ClassifyParcelsOptions,
): Promise<ClassifyParcelsResult> {
  const {
    bufferM = 10,
    minWholePixels = 8,
    minClearObservations = 6,
    minClearShare = 0.5,
    areaShortfallTolerance = 0.1,
    chunkSize = 500,
    signal,
    onProgress,
  } = options;
  if (!Number.isInteger(chunkSize) || chunkSize < 1)
    throw new RangeError(`chunkSize ${String(chunkSize)} must be a positive integer`);
  const ownClassifier = typeof options.classifier === 'string';
  const classifier =
    typeof options.classifier === 'string'
      ? await openOnnxClassifier(options.classifier)
      : options.classifier;
  try {
    let metadata: CropModelMetadata;
    try {
      metadata = parseCropModelMetadata(classifier.metadata);
    } catch (error) {
      throw new Error(`not a crop-type model: ${(error as Error).message}`, { cause: error });
    }
    const spec = metadata.featureSpec ?? defaultSeasonFeatureSpec;
    const { minFraction, minClearPeriods } = metadata.pixelSelection;
    const classes = metadata.classes;
    const classCount = classes.length;
    if (
      classCount !== classifier.classCount ||
      metadata.featureNames.length !== classifier.featureCount
    )
      throw new Error(
        `model metadata (${metadata.featureNames.length} features, ${classCount} classes) does not match the graph (${classifier.featureCount} x ${classifier.classCount})`,
      );
    const featureCount = classifier.featureCount;
    const modelVersion = classifier.version;

    const inSeason = items.filter(
      (item) =>
        (options.from === undefined || item.datetime >= options.from) &&
        (options.to === undefined || item.datetime <= options.to),
    );
    const harvestYear =
      options.harvestYear ??
      (inSeason.length > 0
        ? inferHarvestYear(
            inSeason.map((item) => item.datetime),
            spec,
          )
        : null);

    const results = new Map<string, ParcelCropResult>();
    const byId = new Map(parcels.map((parcel) => [parcel.id, parcel]));
    const failures: ItemFailure[] = [];
    const pixelPredictions: PixelPrediction[] = [];
    let rasterGrid: { epsg: number; transform: AffineTransform } | null = null;

    const base = (parcel: ClassifyParcelInput, areaM2: number | null) => ({
      parcelId: parcel.id,
      declaredCropCode: parcel.declaredCropCode ?? null,
      declaredAreaM2: parcel.declaredAreaM2 ?? null,
      areaM2,
      modelVersion,
    });
    const cannotVerify = (
      parcel: ClassifyParcelInput,
      reason: string,
      extra: Partial<ParcelCropResult> = {},
    ): ParcelCropResult => ({
      ...base(parcel, null),
      predictedCropCode: null,
      predictedCropName: null,
      predictedConfidence: null,
      classFractions: {},
      plantedCropCode: null,
      plantedAreaM2: null,
      wholePixels: 0,
      classifiedPixels: 0,
      clearObservations: 0,
      ndviSeries: [],
      markers: [],
      observations: [],
      ...extra,
      status: 'cannot_verify',
      statusReason: reason,
    });

    if (inSeason.length === 0) {
      for (const parcel of parcels)
        results.set(
          parcel.id,
          cannotVerify(parcel, 'no usable scene in the season: nothing to classify from'),
        );
    } else {
      // Geometries checked first (geo's rules); an invalid one is reported, never read.
      const valid: ClassifyParcelInput[] = [];
      for (const parcel of parcels) {
        const validation = validatePolygon(parcel.geometry, {
          featureLabel: `parcel ${parcel.id}`,
        });
        if (validation.ok) {
          valid.push({ ...parcel, geometry: validation.value });
          continue;
        }
        const reason = validation.problems.map((problem) => problem.message).join('; ');
        failures.push({ itemId: '', parcelId: parcel.id, code: 'invalid_parcel', reason });
        results.set(parcel.id, cannotVerify(parcel, `invalid parcel: ${reason}`));
      }
      const selection: FeatureSelection = {
        spec,
        harvestYear:
          harvestYear ??
          inferHarvestYear(
            inSeason.map((item) => item.datetime),
            spec,
          ),
        minFraction,
        minClearPeriods,
      };
      // Chunks of neighbouring parcels (by grid cell), so that a chunk reads only its part of
      // each tile.
      const chunks = chunkParcelsByCell(
        valid,
        (parcel) => parcel.geometry,
        chunkGridOfItems(inSeason),
        chunkSize,
      );
      const chunkCount = chunks.length;
      const itemFailures = new Map<string, { failure: ItemFailure; chunks: number }>();
      let parcelsDone = 0;
      const readChunk = (chunk: number): ReturnType<typeof readParcelSeason> => {
        const reading = readParcelSeason(
          inSeason,
          (chunks[chunk] ?? []).map((p) => ({ id: p.id, geometry: p.geometry })),
          {
            bufferM,
            ...(options.excludedSclClasses
              ? { excludedSclClasses: options.excludedSclClasses }
              : {}),
            ...(signal ? { signal } : {}),
            onProgress: (done, total, itemId) =>
              onProgress?.({ stage: 'read', chunk: chunk + 1, chunkCount, done, total, itemId }),
          },
        );
        // Awaited later (or never, when an earlier chunk stops the run): until then a rejection
        // (an abort) must not count as unhandled.
        reading.catch(() => undefined);
        return reading;
      };
      // The next chunk is read (decoded on the decode pool's threads) while this thread works
      // out the features and classes of the current one: two chunks in memory at a time.
      let nextRead = chunkCount > 0 ? readChunk(0) : null;
      for (let chunk = 0; chunk < chunkCount; chunk++) {
        signal?.throwIfAborted();
        const chunkParcels = chunks[chunk] ?? [];
        const read = await (nextRead as ReturnType<typeof readChunk>);
        nextRead = chunk + 1 < chunkCount ? readChunk(chunk + 1) : null;
        for (const failure of read.failures) {
          if (failure.parcelId !== undefined) {
            failures.push(failure);
            const parcel = byId.get(failure.parcelId);
            if (parcel !== undefined)
              results.set(parcel.id, cannotVerify(parcel, `invalid parcel: ${failure.reason}`));
            continue;
          }
          const key = `${failure.itemId}\u0000${failure.code}`;
          const seen = itemFailures.get(key);
          if (seen === undefined) itemFailures.set(key, { failure, chunks: 1 });
          else seen.chunks++;
        }
        for (const id of read.parcelsOutside) {
          const parcel = byId.get(id);
          if (parcel !== undefined)
            results.set(
              id,
              cannotVerify(parcel, 'the parcel lies outside every scene of the season'),
            );
        }

        // Features of every parcel that can be verified, then one model run per batch of pixels.
        const pending: {
          parcel: ClassifyParcelInput;
          season: ParcelSeason;
          stats: ParcelSceneStatistics[];
          keep: Int32Array;
          features: Float32Array;
        }[] = [];
        let pendingPixels = 0;
        const flush = async (): Promise<void> => {
          if (pending.length === 0) return;
          const all = new Float32Array(pendingPixels * featureCount);
          let offset = 0;
          for (const entry of pending) {
            all.set(entry.features, offset * featureCount);
            offset += entry.keep.length;
          }
          const probabilities = await classifier.predict(
            all,
            pendingPixels,
            signal ? { signal } : {},
          );
          offset = 0;
          for (const entry of pending) {
            const n = entry.keep.length;
            const own = probabilities.subarray(offset * classCount, (offset + n) * classCount);
            offset += n;
            const decided = decide(entry, own);
            results.set(entry.parcel.id, decided.result);
            if (options.raster === true) pixelPredictions.push(decided.pixels);
          }
          pending.length = 0;
          pendingPixels = 0;
        };

        const decide = (
          entry: (typeof pending)[number],
          probabilities: Float32Array,
        ): { result: ParcelCropResult; pixels: PixelPrediction } => {
          const { parcel, season, stats, keep } = entry;
          const n = keep.length;
          const meanProbability = new Float64Array(classCount);
          const votes = new Float64Array(classCount);
          const codes = new Uint16Array(n);
          let totalWeight = 0;
          for (let i = 0; i < n; i++) {
            const w = season.fractions[keep[i] as number] as number;
            totalWeight += w;
            let best = 0;
            for (let c = 0; c < classCount; c++) {
              const p = probabilities[i * classCount + c] as number;
              meanProbability[c] = (meanProbability[c] as number) + w * p;
              if (p > (probabilities[i * classCount + best] as number)) best = c;
            }
            votes[best] = (votes[best] as number) + w;
            codes[i] = classes[best]?.code ?? 0;
          }
          let predicted = 0;
          for (let c = 1; c < classCount; c++)
            if ((meanProbability[c] as number) > (meanProbability[predicted] as number))
              predicted = c;
          const classFractions: Record<string, number> = {};
          classes.forEach((cls, c) => {
            const share = (votes[c] as number) / totalWeight;
            if (share > 0) classFractions[String(cls.code)] = share;
          });
          const predictedClass = classes[predicted] as CropClass;
          const confidence = (meanProbability[predicted] as number) / totalWeight;
          const declared = parcel.declaredCropCode ?? null;
          const plantedCropCode = declared ?? predictedClass.code;
          const plantedAreaM2 = season.areaM2 * (classFractions[String(plantedCropCode)] ?? 0);
          const targetAreaM2 = parcel.declaredAreaM2 ?? season.areaM2;
          const ndviSeries = ndviSeriesOf(stats, minClearShare);
          const nameOf = (code: number) =>
            classes.find((c) => c.code === code)?.name ?? `crop ${code}`;
          const percent = (share: number) => `${(share * 100).toFixed(0)} %`;
          let status: ParcelCropStatus;
          let statusReason: string;
          const predictedText = `predicted ${predictedClass.code} ${predictedClass.name} (confidence ${confidence.toFixed(2)}, ${percent(classFractions[String(predictedClass.code)] ?? 0)} of the classified area)`;
          const shortfall = plantedAreaM2 < targetAreaM2 * (1 - areaShortfallTolerance);
          const areaText = `planted area ${Math.round(plantedAreaM2)} m² against ${parcel.declaredAreaM2 !== undefined ? 'a declared' : 'a parcel area of'} ${Math.round(targetAreaM2)} m² (tolerance ${percent(areaShortfallTolerance)})`;
          if (declared !== null && declared !== predictedClass.code) {
            status = 'mismatch';
            statusReason = `declared ${declared} ${nameOf(declared)}, ${predictedText}; the declared crop covers ${percent(classFractions[String(declared)] ?? 0)}`;
          } else if (shortfall) {
            status = 'area_shortfall';
            statusReason = `${declared === null ? 'no crop declared; ' : ''}${predictedText}; ${areaText}`;
          } else {
            status = 'verified';
            statusReason = `${declared === null ? 'no crop declared, area checked only; ' : 'declared crop confirmed: '}${predictedText}; ${areaText}`;
          }
          const markerCrop = plantedCropCode;
          const markers =
            options.signatures !== undefined && harvestYear !== null
              ? detectMarkers(ndviSeries, markerCrop, harvestYear, options.signatures)
              : [];
          const rows = new Int32Array(n);
          const cols = new Int32Array(n);
          keep.forEach((p, i) => {
            rows[i] = season.rows[p] as number;
            cols[i] = season.cols[p] as number;
          });
          return {
            result: {
              ...base(parcel, season.areaM2),
              predictedCropCode: predictedClass.code,
              predictedCropName: predictedClass.name,
              predictedConfidence: confidence,
              classFractions,
              plantedCropCode,
              plantedAreaM2,
              wholePixels: season.wholePixelCount,
              classifiedPixels: n,
              clearObservations: ndviSeries.length,
              ndviSeries,
              status,
              statusReason,
              markers,
              observations: stats,
            },
            pixels: { rows, cols, codes },
          };
        };

        // Parcels whose features are being worked out, in order; a bounded number at a time, so
        // that only a few seasons' bands are in flight.
        const queued: {
          parcel: ClassifyParcelInput;
          season: ParcelSeason;
          stats: ParcelSceneStatistics[];
          seen: Partial<ParcelCropResult>;
          pixels: Promise<ClassifiablePixels>;
        }[] = [];
        const takeFeatures = async (): Promise<void> => {
          const entry = queued.shift();
          if (entry === undefined) return;
          const { parcel, season, stats, seen } = entry;
          const { keep, rows } = await entry.pixels;
          if (keep.length === 0) {
            results.set(
              parcel.id,
              cannotVerify(
                parcel,
                `no pixel has a clear observation in ${minClearPeriods} of the season's months`,
                seen,
              ),
            );
            return;
          }
          pending.push({ parcel, season, stats, keep, features: rows });
          pendingPixels += keep.length;
          if (pendingPixels >= 65_536) await flush();
        };

        for (const season of read.parcels) {
          signal?.throwIfAborted();
          const parcel = byId.get(season.parcelId);
          if (parcel === undefined) continue;
          rasterGrid ??= { epsg: season.epsg, transform: season.transform };
          const stats = sceneStatistics(season);
          const ndviSeries = ndviSeriesOf(stats, minClearShare);
          const seen = {
            areaM2: season.areaM2,
            wholePixels: season.wholePixelCount,
            clearObservations: ndviSeries.length,
            ndviSeries,
            observations: stats,
          };
          if (season.wholePixelCount < minWholePixels) {
            results.set(
              parcel.id,
              cannotVerify(
                parcel,
                `only ${season.wholePixelCount} whole 10 m pixels after a ${bufferM} m inward buffer (at least ${minWholePixels} are needed)`,
                seen,
              ),
            );
            continue;
          }
          if (ndviSeries.length < minClearObservations) {
            results.set(
              parcel.id,
              cannotVerify(
                parcel,
                `only ${ndviSeries.length} of ${stats.length} scenes saw at least ${Math.round(minClearShare * 100)} % of the parcel clear (at least ${minClearObservations} are needed)`,
                seen,
              ),
            );
            continue;
          }
          if (
            parcel.declaredCropCode !== undefined &&
            !classes.some((c) => c.code === parcel.declaredCropCode)
          ) {
            results.set(
              parcel.id,
              cannotVerify(
                parcel,
                `the declared crop ${parcel.declaredCropCode} is not one the model knows (${classes.map((c) => c.code).join(', ')})`,
                seen,
              ),
            );
            continue;
          }
          // Features on the features pool's threads; the season's bands go with the job.
          queued.push({
            parcel,
            season,
            stats,
            seen,
            pixels: classifiablePixelsOffThread(season.series, season.fractions, selection),
          });
          if (queued.length >= FEATURE_JOBS_IN_FLIGHT) await takeFeatures();
        }
        while (queued.length > 0) await takeFeatures();
        await flush();
        parcelsDone += chunkParcels.length;
        onProgress?.({ stage: 'classify', parcelsDone, parcelCount: parcels.length });
      }
      for (const { failure, chunks } of itemFailures.values()) {
        // An item that misses one chunk's parcels may well cover another chunk's.
        if (failure.code === 'no_parcel_inside' && chunks < chunkCount) continue;
        failures.push(failure);
      }
    }

    const ordered = parcels.map(
      (parcel) =>
        results.get(parcel.id) ??
        cannotVerify(parcel, 'the parcel was not read (no scene covered it)'),
    );
    return {
      results: ordered,
      failures,
      modelVersion,
      classes,
      harvestYear,
      raster:
        options.raster === true && rasterGrid !== null
          ? buildRaster(rasterGrid, pixelPredictions, classes)
          : null,
    };
  } finally {
    if (ownClassifier) await classifier.close();
  }
}

function ndviSeriesOf(
  stats: readonly ParcelSceneStatistics[],
  minClearShare: number,
): ParcelNdviPoint[] {
  return stats.flatMap((s) =>
    s.ndviMean !== null && s.clearShare >= minClearShare
      ? [{ date: s.date, sceneId: s.sceneId, mean: s.ndviMean, clearPixels: s.clearPixels }]
      : [],
  );
}

function buildRaster(
  grid: { epsg: number; transform: AffineTransform },
  predictions: readonly PixelPrediction[],
  classes: readonly CropClass[],
): ClassRaster | null {
  let minRow = Infinity;
  let minCol = Infinity;
  let maxRow = -Infinity;
  let maxCol = -Infinity;
  for (const { rows, cols } of predictions) {
    for (let i = 0; i < rows.length; i++) {
      minRow = Math.min(minRow, rows[i] as number);
      maxRow = Math.max(maxRow, rows[i] as number);
      minCol = Math.min(minCol, cols[i] as number);
      maxCol = Math.max(maxCol, cols[i] as number);
    }
  }
  if (minRow === Infinity) return null;
  const width = maxCol - minCol + 1;
  const height = maxRow - minRow + 1;
  const data = new Uint16Array(width * height);
  for (const { rows, cols, codes } of predictions)
    for (let i = 0; i < rows.length; i++)
      data[((rows[i] as number) - minRow) * width + (cols[i] as number) - minCol] = codes[
        i
      ] as number;
  const [a, b, c, d, e, f] = grid.transform;
  const present = new Set(data);
  return {
    epsg: grid.epsg,
    transform: [a, b, c + a * minCol + b * minRow, d, e, f + d * minCol + e * minRow],
    width,
    height,
    data,
    legend: Object.fromEntries(
      classes.filter((cls) => present.has(cls.code)).map((cls) => [String(cls.code), cls.name]),
    ),
  };
}
