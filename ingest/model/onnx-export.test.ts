import { describe, expect, it } from 'vitest';
import { predictMlp, trainMlp } from './mlp.ts';
import { makeBlobs } from './synthetic-blobs.ts';
import { openOnnxClassifier } from './onnx-classifier.ts';
import { exportMlpToOnnx, readOnnxMetadata } from './onnx-export.ts';

describe('exportMlpToOnnx', () => {
  it('gives an ONNX model whose probabilities match the TypeScript model to 1e-5', async () => {
    const set = makeBlobs([300, 200, 50, 20], 12, 5);
    const { model } = trainMlp(set, { epochs: 10, seed: 2 });
    const bytes = exportMlpToOnnx(model, { classes: '[1, 2, 3, 4]' });
    const classifier = await openOnnxClassifier(bytes, { batchSize: 100 }); // several batches
    try {
      expect(classifier.featureCount).toBe(12);
      expect(classifier.classCount).toBe(4);
      expect(classifier.metadata.classes).toBe('[1, 2, 3, 4]');
      expect(classifier.version).toMatch(/^[0-9a-f]{64}$/);
      const n = set.labels.length;
      const expected = predictMlp(model, set.features, n);
      const actual = await classifier.predict(set.features, n);
      expect(actual.length).toBe(expected.length);
      let maxDiff = 0;
      for (let i = 0; i < actual.length; i++)
        maxDiff = Math.max(maxDiff, Math.abs((actual[i] as number) - (expected[i] as number)));
      expect(maxDiff).toBeLessThan(1e-5);
    } finally {
      await classifier.close();
    }
  });

  it('keeps the metadata readable without a session', () => {
    const { model } = trainMlp(makeBlobs([5, 5], 2, 6), { epochs: 1 });
    expect(readOnnxMetadata(exportMlpToOnnx(model, { a: 'b' }))).toEqual({ a: 'b' });
  });

  it('rejects bytes that are not a model', async () => {
    await expect(openOnnxClassifier(Uint8Array.of(1, 2, 3))).rejects.toThrow(/ONNX/);
  });
});
