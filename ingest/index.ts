/**
 * Public API of `ingest/`: Sentinel-2 L2A scenes from STAC, read over parcels.
 * Other modules import from here, never from the individual files.
 */
export {
  DEFAULT_EXCLUDED_SCL_CLASSES,
  clearMaskFromScl,
  sclExclusionTable,
} from './mask/scl-mask.ts';
export { readParcelSeason } from './season/read-parcel-season.ts';
export type { ParcelSeasonResult, ReadParcelSeasonOptions } from './season/read-parcel-season.ts';
export { toAssetKey } from './stac/asset-keys.ts';
export { loadStac } from './stac/load-stac.ts';
export type { LoadStacOptions, LoadStacResult } from './stac/load-stac.ts';
export { parseSceneItem } from './stac/parse-item.ts';
export type { ParsedItem } from './stac/parse-item.ts';
export { NativeDeflateDecoder, useNativeDeflate } from './tile/native-deflate.ts';
export {
  blockInflater,
  setInflateSetting,
  type InflaterChoice,
  type InflateSetting,
} from './tile/native-inflate.ts';
export {
  CHUNK_CELL_PX,
  chunkGridOfItems,
  chunkParcelsByCell,
  type ChunkGrid,
} from './season/spatial-chunks.ts';
export { openCog } from './tile/open-cog.ts';
export type { CogGrid, OpenCog } from './tile/open-cog.ts';
export { TileReadError } from './tile/tile-read-error.ts';
export type { TileErrorCode } from './tile/tile-read-error.ts';
export { BAND_NAMES } from './types.ts';
export type {
  AssetKey,
  BandName,
  ItemFailure,
  OffsetRule,
  ParcelInput,
  ParcelObservation,
  ParcelSeason,
  PixelSeries,
  SceneAsset,
  SceneItem,
} from './types.ts';
export { writeCog } from './cog/write-cog.ts';
export type { CogRaster, CogWriteOptions, RasterArray } from './cog/write-cog.ts';
export { dayOfYear, signatureOn } from './simulate/crop-signatures.ts';
export type { CropSignature, CropSignatures } from './simulate/crop-signatures.ts';
export { createSceneSimulator } from './simulate/simulate-scene.ts';
export type {
  SceneSimulator,
  SceneSimulatorOptions,
  SceneWeather,
  SimulatedParcel,
  SimulatedScene,
} from './simulate/simulate-scene.ts';
export { writeCatalog, writeSceneFiles, writeSceneItem } from './simulate/write-scene-item.ts';
export type { SceneFiles } from './simulate/write-scene-item.ts';
export {
  classifyParcels,
  classRasterToCog,
  detectMarkers,
  expectedNdvi,
  HARVEST_WINDOWS,
  harvestWindowStart,
  sceneStatistics,
} from './classify/index.ts';
export type {
  ClassifyParcelInput,
  ClassifyParcelsOptions,
  ClassifyParcelsResult,
  ClassifyProgress,
  ClassRaster,
  HarvestWindow,
  NdviPoint,
  ParcelCropResult,
  ParcelCropStatus,
  ParcelMarker,
  ParcelMarkerType,
  ParcelNdviPoint,
  ParcelSceneStatistics,
} from './classify/index.ts';
export * from './features/index.ts';
export * from './model/index.ts';
export * from './train/index.ts';
