/**
 * Per-scene statistics of a parcel, the rows of `parcel_observations`: for each scene that covered
 * the parcel, its clear and total pixels and the mean NDVI, NDWI (Gao: nir08/swir16) and NDRE
 * (nir08/rededge1) of its clear pixels, each pixel weighted by its fraction inside the (buffered)
 * parcel.
 */
import { normalizedDifference } from '../features/index.ts';
import type { ParcelSeason } from '../types.ts';

export interface ParcelSceneStatistics {
  readonly sceneId: string;
  readonly date: Date;
  readonly clearPixels: number;
  readonly totalPixels: number;
  /** Clear weight over total weight (0-1): the share of the parcel seen that date. */
  readonly clearShare: number;
  /** Null when no pixel was clear. */
  readonly ndviMean: number | null;
  readonly ndwiMean: number | null;
  readonly ndreMean: number | null;
}

/**
 * One entry per scene of the parcel's season, in date order.
 *
 * @example sceneStatistics(season).filter((s) => s.clearShare >= 0.5).map((s) => s.ndviMean)
 */
export function sceneStatistics(season: ParcelSeason): ParcelSceneStatistics[] {
  const { series, fractions, observations } = season;
  const { pixelCount } = series;
  const { red, nir, nir08, swir16, rededge1 } = series.bands;
  let totalWeight = 0;
  for (const w of fractions) totalWeight += w;
  return observations.map((observation, d) => {
    // Three indices, unrolled: no array or closure per pixel (this runs for every pixel-date).
    let clearWeight = 0;
    let sum0 = 0;
    let sum1 = 0;
    let sum2 = 0;
    let weight0 = 0;
    let weight1 = 0;
    let weight2 = 0;
    const offset = d * pixelCount;
    for (let p = 0; p < pixelCount; p++) {
      const w = fractions[p] as number;
      const i = offset + p;
      const ndvi = normalizedDifference(nir[i] as number, red[i] as number);
      const ndwi = normalizedDifference(nir08[i] as number, swir16[i] as number);
      const ndre = normalizedDifference(nir08[i] as number, rededge1[i] as number);
      if (!Number.isNaN(ndvi)) {
        clearWeight += w;
        sum0 += w * ndvi;
        weight0 += w;
      }
      if (!Number.isNaN(ndwi)) {
        sum1 += w * ndwi;
        weight1 += w;
      }
      if (!Number.isNaN(ndre)) {
        sum2 += w * ndre;
        weight2 += w;
      }
    }
    const mean = (sum: number, weight: number): number | null => (weight > 0 ? sum / weight : null);
    return {
      sceneId: observation.sceneId,
      date: observation.date,
      clearPixels: observation.clearPixels,
      totalPixels: observation.totalPixels,
      clearShare: totalWeight > 0 ? clearWeight / totalWeight : 0,
      ndviMean: mean(sum0, weight0),
      ndwiMean: mean(sum1, weight1),
      ndreMean: mean(sum2, weight2),
    };
  });
}
