import { describe, expect, it } from 'vitest';
import { argmaxRows, classificationMetrics } from './metrics.ts';
import { predictMlp, trainMlp } from './mlp.ts';
import { makeBlobs } from './synthetic-blobs.ts';

describe('trainMlp', () => {
  it('learns separable classes, rare ones included', () => {
    const train = makeBlobs([400, 300, 30], 6, 1);
    const test = makeBlobs([200, 150, 15], 6, 1); // same centres (same seed), new noise below
    const { model, lossPerEpoch } = trainMlp(train, { epochs: 30, seed: 3 });
    expect(lossPerEpoch.at(-1)).toBeLessThan(lossPerEpoch[0] ?? 0);
    const probabilities = predictMlp(model, test.features, test.labels.length);
    const metrics = classificationMetrics(
      test.labels,
      argmaxRows(probabilities, test.labels.length, 3),
      3,
    );
    expect(metrics.overallAccuracy).toBeGreaterThan(0.97);
    for (const m of metrics.perClass) expect(m.f1).toBeGreaterThan(0.9);
  });

  it('is reproducible for a seed', () => {
    const set = makeBlobs([50, 50], 3, 2);
    const a = trainMlp(set, { epochs: 5, seed: 9 }).model;
    const b = trainMlp(set, { epochs: 5, seed: 9 }).model;
    const c = trainMlp(set, { epochs: 5, seed: 10 }).model;
    expect(Array.from(a.w1)).toEqual(Array.from(b.w1));
    expect(Array.from(a.w1)).not.toEqual(Array.from(c.w1));
  });

  it('produces rows of probabilities that sum to 1', () => {
    const set = makeBlobs([20, 20, 20], 4, 3);
    const { model } = trainMlp(set, { epochs: 2 });
    const p = predictMlp(model, set.features, 60);
    for (let i = 0; i < 60; i++) {
      const row = Array.from(p.subarray(i * 3, i * 3 + 3));
      expect(row.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
    }
  });

  it('rejects NaN features and bad labels with the offending index', () => {
    const set = makeBlobs([3, 3], 2, 4);
    const features = set.features.slice();
    features[5] = NaN;
    expect(() => trainMlp({ ...set, features })).toThrow(/feature 1 of sample 2/);
    expect(() => trainMlp({ ...set, labels: Int32Array.of(0, 0, 0, 1, 1, 2) })).toThrow(
      /label 2 of sample 5/,
    );
  });
});
