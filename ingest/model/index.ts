/**
 * Public API of `ingest/model/`: a pixel classifier (MLP) trained in TypeScript, its ONNX export,
 * inference with onnxruntime-node, parcel-wise splits, metrics and the model card.
 */
export { defaultTrainMlpOptions, predictMlp, trainMlp } from './mlp.ts';
export type { MlpModel, TrainingSet, TrainMlpOptions, TrainMlpResult } from './mlp.ts';
export {
  exportMlpToOnnx,
  onnxInputName,
  onnxIrVersion,
  onnxOpsetVersion,
  onnxOutputName,
  readOnnxMetadata,
} from './onnx-export.ts';
export { openOnnxClassifier } from './onnx-classifier.ts';
export type { OnnxClassifier, OnnxClassifierOptions } from './onnx-classifier.ts';
export { splitParcels } from './parcel-split.ts';
export type { ParcelSplit, SplitParcel, SplitParcelsOptions } from './parcel-split.ts';
export { argmaxRows, classificationMetrics, voteParcels } from './metrics.ts';
export type { ClassificationMetrics, ClassMetrics, ParcelVotes } from './metrics.ts';
export {
  formatModelCardMarkdown,
  modelCardPaths,
  modelVersionOf,
  writeModelCard,
} from './model-card.ts';
export type { ModelCard, ModelCardClass, ModelCardSeason } from './model-card.ts';
export { createRandom, shuffleInPlace } from './random.ts';
export type { Random } from './random.ts';
export { formatCropModelMetadata, parseCropModelMetadata } from './crop-model-metadata.ts';
export type { CropClass, CropModelMetadata, PixelSelection } from './crop-model-metadata.ts';
