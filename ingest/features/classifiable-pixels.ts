/**
 * The pixels of a parcel that a crop-type model sees, with their season features: those at least
 * `minFraction` inside the (buffered) parcel, with a clear observation in at least
 * `minClearPeriods` months, and every feature finite. Training and classification select pixels
 * with this one function, so a model is applied to the kind of pixel it was trained on.
 */
import type { PixelSeries } from '../types.ts';
import { computeSeasonFeatures, type SeasonFeatureSpec } from './season-features.ts';

export interface FeatureSelection {
  readonly spec: SeasonFeatureSpec;
  readonly harvestYear: number;
  readonly minFraction: number;
  readonly minClearPeriods: number;
}

export interface ClassifiablePixels {
  /** Indices of the selected pixels in the series, ascending. */
  readonly keep: Int32Array;
  /** Their features, `keep.length x featureCount`, row-major. */
  readonly rows: Float32Array;
  readonly featureCount: number;
}

/**
 * @param fractions - per pixel of the series, the share of it inside the parcel (0-1).
 * @example
 * const { keep, rows } = classifiablePixels(season.series, season.fractions,
 *   { spec: defaultSeasonFeatureSpec, harvestYear: 2018, minFraction: 0.5, minClearPeriods: 4 });
 */
export function classifiablePixels(
  series: PixelSeries,
  fractions: Float32Array,
  selection: FeatureSelection,
): ClassifiablePixels {
  const features = computeSeasonFeatures(series, {
    spec: selection.spec,
    harvestYear: selection.harvestYear,
  });
  const { featureCount, values, clearPeriods } = features;
  const keepList: number[] = [];
  for (let p = 0; p < features.pixelCount; p++) {
    if ((fractions[p] as number) < selection.minFraction) continue;
    if ((clearPeriods[p] as number) < selection.minClearPeriods) continue;
    let finite = true;
    for (let f = p * featureCount; f < (p + 1) * featureCount; f++)
      if (!Number.isFinite(values[f] as number)) {
        finite = false;
        break;
      }
    if (finite) keepList.push(p);
  }
  const keep = Int32Array.from(keepList);
  const rows = new Float32Array(keep.length * featureCount);
  keep.forEach((p, i) =>
    rows.set(values.subarray(p * featureCount, (p + 1) * featureCount), i * featureCount),
  );
  return { keep, rows, featureCount };
}
