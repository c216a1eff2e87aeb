/** Public API of `ingest/classify/`: crop type, planted area, status and markers per parcel. */
export { classifyParcels } from './classify-parcels.ts';
export type {
  ClassifyParcelInput,
  ClassifyParcelsOptions,
  ClassifyParcelsResult,
  ClassifyProgress,
  ClassRaster,
  ParcelCropResult,
  ParcelCropStatus,
  ParcelNdviPoint,
} from './classify-parcels.ts';
export { expectedNdvi, HARVEST_WINDOWS, harvestWindowStart } from './crop-calendar.ts';
export type { HarvestWindow } from './crop-calendar.ts';
export { detectMarkers } from './detect-markers.ts';
export type {
  DetectMarkersOptions,
  NdviPoint,
  ParcelMarker,
  ParcelMarkerType,
} from './detect-markers.ts';
export { sceneStatistics } from './scene-statistics.ts';
export type { ParcelSceneStatistics } from './scene-statistics.ts';
export { classRasterToCog } from './write-class-raster.ts';
