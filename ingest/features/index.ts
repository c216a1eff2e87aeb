/** Public API of `ingest/features/`: per-pixel season features and per-parcel NDVI series. */
export {
  computeSeasonFeatures,
  defaultSeasonFeatureSpec,
  featureNamesFor,
  fillGaps,
  inferHarvestYear,
} from './season-features.ts';
export type { SeasonFeatureOptions, SeasonFeatures, SeasonFeatureSpec } from './season-features.ts';
export { featureVariables, normalizedDifference, variableBands } from './spectral-indices.ts';
export type { FeatureVariable } from './spectral-indices.ts';
export { parcelNdviSeries } from './parcel-ndvi-series.ts';
export type { NdviObservation, ParcelNdviSeriesOptions } from './parcel-ndvi-series.ts';
export { classifiablePixels } from './classifiable-pixels.ts';
export type { ClassifiablePixels, FeatureSelection } from './classifiable-pixels.ts';
export { classifiablePixelsOffThread, closeFeaturesPool } from './features-pool.ts';
