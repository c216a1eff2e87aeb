/** Public API of `ingest/train/`: training the crop-type model from labelled parcels. */
export { parseLabelledParcels } from './labelled-parcels.ts';
export type { LabelledParcel, LabelledParcels, SkippedParcel } from './labelled-parcels.ts';
export { fitCropModel, trainCropModel } from './train-crop-model.ts';
export { readTrainingPixels } from './training-pixels.ts';
export type {
  ParcelPixels,
  ReadTrainingPixelsOptions,
  TrainingPixels,
  TrainingSeason,
} from './training-pixels.ts';
export type {
  TrainCropModelOptions,
  TrainCropModelResult,
  FitCropModelOptions,
  TrainProgress,
} from './train-crop-model.ts';
