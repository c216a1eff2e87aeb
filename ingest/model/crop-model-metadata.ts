/**
 * What a crop-type ONNX model carries in its `metadata_props`, so that a classifier can compute
 * the same features and name the classes without the model card:
 *
 * - `pledgewatch.task`: `crop-type`
 * - `pledgewatch.classes`: JSON `[{ "code": 1200, "name": "Maize" }, ...]`, in output order
 * - `pledgewatch.features`: JSON list of feature names, in input order
 * - `pledgewatch.feature_spec`: JSON `SeasonFeatureSpec` (`ingest/features`)
 * - `pledgewatch.pixel_selection`: JSON `{ "bufferM": 10, "minFraction": 0.5, "minClearPeriods": 4 }`
 */
import type { SeasonFeatureSpec } from '../features/index.ts';

export interface CropClass {
  /** WorldCereal crop-type code. */
  readonly code: number;
  readonly name: string;
}

export interface PixelSelection {
  /** Inward buffer applied to parcels before reading, m. */
  readonly bufferM: number;
  /** Pixels with a smaller fraction inside the (buffered) parcel are left out. */
  readonly minFraction: number;
  /** Pixels with fewer months with a clear observation are left out. */
  readonly minClearPeriods: number;
}

export interface CropModelMetadata {
  readonly task: 'crop-type';
  readonly classes: readonly CropClass[];
  readonly featureNames: readonly string[];
  readonly featureSpec: SeasonFeatureSpec;
  readonly pixelSelection: PixelSelection;
}

/** The metadata as `metadata_props` strings. */
export function formatCropModelMetadata(metadata: CropModelMetadata): Record<string, string> {
  return {
    'pledgewatch.task': metadata.task,
    'pledgewatch.classes': JSON.stringify(metadata.classes),
    'pledgewatch.features': JSON.stringify(metadata.featureNames),
    'pledgewatch.feature_spec': JSON.stringify(metadata.featureSpec),
    'pledgewatch.pixel_selection': JSON.stringify(metadata.pixelSelection),
  };
}

function parseJson(props: Readonly<Record<string, string>>, key: string): unknown {
  const text = props[key];
  if (text === undefined) throw new Error(`model metadata: ${key} is missing`);
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new Error(`model metadata: ${key} is not JSON`, { cause: error });
  }
}

/**
 * Reads the metadata back (from `OnnxClassifier.metadata` or `readOnnxMetadata`).
 * @throws Error naming the key that is missing or malformed.
 */
export function parseCropModelMetadata(props: Readonly<Record<string, string>>): CropModelMetadata {
  if (props['pledgewatch.task'] !== 'crop-type')
    throw new Error(
      `model metadata: pledgewatch.task ${JSON.stringify(props['pledgewatch.task'])} is not "crop-type"`,
    );
  const classes = parseJson(props, 'pledgewatch.classes');
  if (
    !Array.isArray(classes) ||
    !classes.every(
      (c: unknown) =>
        typeof c === 'object' &&
        c !== null &&
        Number.isInteger((c as { code?: unknown }).code) &&
        typeof (c as { name?: unknown }).name === 'string',
    )
  )
    throw new Error('model metadata: pledgewatch.classes must be a list of {code, name}');
  const featureNames = parseJson(props, 'pledgewatch.features');
  if (!Array.isArray(featureNames) || !featureNames.every((n) => typeof n === 'string'))
    throw new Error('model metadata: pledgewatch.features must be a list of names');
  const spec = parseJson(props, 'pledgewatch.feature_spec') as SeasonFeatureSpec;
  if (typeof spec !== 'object' || spec === null || !Array.isArray(spec.variables))
    throw new Error('model metadata: pledgewatch.feature_spec is malformed');
  const selection = parseJson(props, 'pledgewatch.pixel_selection') as PixelSelection;
  if (typeof selection !== 'object' || selection === null)
    throw new Error('model metadata: pledgewatch.pixel_selection is malformed');
  return {
    task: 'crop-type',
    classes: classes as CropClass[],
    featureNames: featureNames as string[],
    featureSpec: spec,
    pixelSelection: selection,
  };
}
