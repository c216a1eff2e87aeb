/**
 * A parcel's NDVI through the season: per date, the mean NDVI of its clear pixels, each weighted
 * by the share of the pixel inside the parcel.
 */
import type { PixelSeries } from '../types.ts';
import { normalizedDifference } from './spectral-indices.ts';

export interface NdviObservation {
  readonly date: Date;
  readonly sceneId: string;
  /** Fraction-weighted mean NDVI over the clear pixels. */
  readonly mean: number;
  /** Clear weight over total weight (0-1): the share of the parcel seen on that date. */
  readonly clearFraction: number;
}

export interface ParcelNdviSeriesOptions {
  /**
   * Dates on which less than this share of the parcel (by weight) is clear are left out: a mean
   * of a few pixels at a cloud's edge is noise. Default 0.5.
   */
  readonly minClearFraction?: number;
}

/**
 * Per-date mean NDVI of a parcel, in the series' date order, only for dates with enough clear
 * pixels.
 *
 * @param weights per pixel, the fraction of the pixel inside the parcel (0-1); pixels with weight
 *   0 do not count.
 * @example parcelNdviSeries(parcel.series, parcel.fractions).map((o) => [o.date, o.mean])
 */
export function parcelNdviSeries(
  series: PixelSeries,
  weights: Float32Array,
  options: ParcelNdviSeriesOptions = {},
): NdviObservation[] {
  const { pixelCount } = series;
  if (weights.length !== pixelCount)
    throw new RangeError(`weights length ${weights.length} != pixelCount ${pixelCount}`);
  const minClearFraction = options.minClearFraction ?? 0.5;
  let totalWeight = 0;
  for (let p = 0; p < pixelCount; p++) totalWeight += Math.max(0, weights[p] as number);
  const out: NdviObservation[] = [];
  if (totalWeight <= 0) return out;
  const { nir, red } = series.bands;
  series.dates.forEach((date, d) => {
    let sum = 0;
    let weight = 0;
    const offset = d * pixelCount;
    for (let p = 0; p < pixelCount; p++) {
      const w = weights[p] as number;
      if (!(w > 0)) continue;
      const ndvi = normalizedDifference(nir[offset + p] as number, red[offset + p] as number);
      if (Number.isNaN(ndvi)) continue;
      sum += w * ndvi;
      weight += w;
    }
    const clearFraction = weight / totalWeight;
    if (weight > 0 && clearFraction >= minClearFraction)
      out.push({ date, sceneId: series.sceneIds[d] ?? '', mean: sum / weight, clearFraction });
  });
  return out;
}
