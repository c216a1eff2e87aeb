import { describe, expect, it } from 'vitest';
import { defaultSeasonFeatureSpec, featureNamesFor } from '../features/index.ts';
import { formatCropModelMetadata, parseCropModelMetadata } from './crop-model-metadata.ts';

describe('crop model metadata', () => {
  it('round-trips through metadata_props strings', () => {
    const metadata = {
      task: 'crop-type' as const,
      classes: [{ code: 1200, name: 'Maize' }],
      featureNames: featureNamesFor(defaultSeasonFeatureSpec),
      featureSpec: defaultSeasonFeatureSpec,
      pixelSelection: { bufferM: 10, minFraction: 0.5, minClearPeriods: 4 },
    };
    expect(parseCropModelMetadata(formatCropModelMetadata(metadata))).toEqual(metadata);
  });

  it('names the key that is wrong', () => {
    expect(() => parseCropModelMetadata({})).toThrow(/pledgewatch.task/);
    expect(() =>
      parseCropModelMetadata({ 'pledgewatch.task': 'crop-type', 'pledgewatch.classes': '{' }),
    ).toThrow(/pledgewatch.classes is not JSON/);
  });
});
