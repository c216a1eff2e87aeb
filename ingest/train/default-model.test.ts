/** The committed default model agrees with its card and carries what a classifier needs. */
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { defaultSeasonFeatureSpec, featureNamesFor } from '../features/index.ts';
import { openOnnxClassifier, parseCropModelMetadata, type ModelCard } from '../model/index.ts';

const modelPath = 'fixtures/models/crop-type.onnx';

describe('fixtures/models/crop-type.onnx', () => {
  it('is the model its card describes', async () => {
    const card = JSON.parse(
      await readFile('fixtures/models/crop-type.card.json', 'utf8'),
    ) as ModelCard;
    const classifier = await openOnnxClassifier(modelPath);
    try {
      expect(classifier.version).toBe(card.modelVersion);
      const metadata = parseCropModelMetadata(classifier.metadata);
      expect(metadata.classes.map((c) => c.code)).toEqual(card.classes.map((c) => c.code));
      expect(metadata.featureNames).toEqual(featureNamesFor(defaultSeasonFeatureSpec));
      expect(classifier.featureCount).toBe(metadata.featureNames.length);
      expect(classifier.classCount).toBe(card.classes.length);
      expect(card.command).toMatch(/^pledgewatch train .*--out fixtures\/models\/crop-type\.onnx$/);
      expect(card.metrics.pixel.overallAccuracy).toBeGreaterThanOrEqual(0.9);
      // Probabilities for a batch of arbitrary pixels sum to 1.
      const features = new Float32Array(3 * classifier.featureCount).fill(0.3);
      const p = await classifier.predict(features, 3);
      expect(p.subarray(0, classifier.classCount).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
    } finally {
      await classifier.close();
    }
  });
});
