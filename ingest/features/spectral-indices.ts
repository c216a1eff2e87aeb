/**
 * The per-observation variables a season's features are made of: three normalised-difference
 * indices and a few surface reflectances, computed from one pixel's bands on one date.
 *
 * - `ndvi` = (nir - red) / (nir + red) (Rouse et al. 1974), green biomass.
 * - `ndwi` = (nir08 - swir16) / (nir08 + swir16): Gao's (1996) NDWI, the water content of the
 *   canopy (not McFeeters' open-water index); it separates cereals drying before harvest from
 *   beet, potatoes and grass.
 * - `ndre` = (nir08 - rededge1) / (nir08 + rededge1): red-edge NDVI, chlorophyll, less saturated
 *   than NDVI over dense canopies.
 * - `green`, `red`, `nir`, `swir16`, `swir22`: reflectance (0-1) as read.
 *
 * 20 m bands (rededge1, nir08, swir16, swir22) are expected already on the 10 m grid.
 */
import type { BandName } from '../types.ts';

export const featureVariables = [
  'ndvi',
  'ndwi',
  'ndre',
  'green',
  'red',
  'nir',
  'swir16',
  'swir22',
] as const;

export type FeatureVariable = (typeof featureVariables)[number];

/** The bands each variable reads. */
export const variableBands: Readonly<Record<FeatureVariable, readonly BandName[]>> = {
  ndvi: ['nir', 'red'],
  ndwi: ['nir08', 'swir16'],
  ndre: ['nir08', 'rededge1'],
  green: ['green'],
  red: ['red'],
  nir: ['nir'],
  swir16: ['swir16'],
  swir22: ['swir22'],
};

/**
 * (a - b) / (a + b), NaN when either is NaN or the sum is not positive (a masked or broken
 * observation is no observation).
 */
export function normalizedDifference(a: number, b: number): number {
  const sum = a + b;
  return sum > 0 ? (a - b) / sum : Number.NaN;
}
