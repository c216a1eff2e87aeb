import { describe, expect, it } from 'vitest';
import { argmaxRows, classificationMetrics, voteParcels } from './metrics.ts';

describe('classificationMetrics', () => {
  it('computes accuracy, precision, recall, F1 and the confusion matrix', () => {
    const truth = Int32Array.of(0, 0, 0, 1, 1, 2);
    const predicted = Int32Array.of(0, 0, 1, 1, 1, 0);
    const m = classificationMetrics(truth, predicted, 4);
    expect(m.overallAccuracy).toBeCloseTo(4 / 6);
    expect(m.confusion[0]).toEqual([2, 1, 0, 0]);
    expect(m.confusion[2]).toEqual([1, 0, 0, 0]);
    expect(m.perClass[0]?.precision).toBeCloseTo(2 / 3);
    expect(m.perClass[0]?.recall).toBeCloseTo(2 / 3);
    expect(m.perClass[1]?.f1).toBeCloseTo(0.8);
    expect(m.perClass[2]?.f1).toBe(0);
    expect(m.perClass[3]?.f1).toBeNull(); // no true sample: not scored
    expect(m.macroF1).toBeCloseTo((2 / 3 + 0.8 + 0) / 3);
  });
});

describe('voteParcels', () => {
  it('decides parcels by mean probability and by majority', () => {
    // Parcel 0: two weak votes for class 0, one strong for class 1.
    const p = Float32Array.of(0.55, 0.45, 0.55, 0.45, 0.0, 1.0, 0.1, 0.9);
    const votes = voteParcels(p, 2, Int32Array.of(0, 0, 0, 1), 2);
    expect(Array.from(votes.majority)).toEqual([0, 1]);
    expect(Array.from(votes.meanProbability)).toEqual([1, 1]);
    expect(Array.from(argmaxRows(p, 4, 2))).toEqual([0, 0, 1, 1]);
  });
});
