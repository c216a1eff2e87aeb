/**
 * Classification metrics: overall accuracy, per-class precision / recall / F1 and the confusion
 * matrix (rows: true class, columns: predicted class), for pixels and for parcels.
 */

export interface ClassMetrics {
  readonly classIndex: number;
  /** True samples of the class (the confusion matrix row sum). */
  readonly support: number;
  /** Samples predicted as the class (the column sum). */
  readonly predicted: number;
  /** null when nothing was predicted as the class. */
  readonly precision: number | null;
  /** null when the class has no true sample. */
  readonly recall: number | null;
  /** null when the class has no true sample; 0 when it has some but none was found. */
  readonly f1: number | null;
}

export interface ClassificationMetrics {
  readonly sampleCount: number;
  readonly overallAccuracy: number;
  /** Mean F1 over the classes with a true sample. */
  readonly macroF1: number;
  /** `confusion[true][predicted]`, counts (or summed weights). */
  readonly confusion: readonly (readonly number[])[];
  readonly perClass: readonly ClassMetrics[];
}

/**
 * @param weights optional per-sample weights (counts are then summed weights).
 * @example classificationMetrics(Int32Array.of(0, 1), Int32Array.of(0, 0), 2).overallAccuracy // 0.5
 */
export function classificationMetrics(
  truth: Int32Array,
  predicted: Int32Array,
  classCount: number,
  weights?: Float32Array,
): ClassificationMetrics {
  if (truth.length !== predicted.length)
    throw new RangeError(`truth length ${truth.length} != predicted length ${predicted.length}`);
  const confusion = Array.from({ length: classCount }, () => new Array<number>(classCount).fill(0));
  let total = 0;
  let correct = 0;
  for (let i = 0; i < truth.length; i++) {
    const t = truth[i] as number;
    const p = predicted[i] as number;
    const row = confusion[t];
    if (row === undefined || p < 0 || p >= classCount)
      throw new RangeError(`sample ${i}: class ${t} or ${p} out of range [0, ${classCount - 1}]`);
    const w = weights ? (weights[i] as number) : 1;
    row[p] = (row[p] as number) + w;
    total += w;
    if (t === p) correct += w;
  }
  const perClass: ClassMetrics[] = [];
  for (let c = 0; c < classCount; c++) {
    const tp = confusion[c]?.[c] ?? 0;
    const support = (confusion[c] ?? []).reduce((a, b) => a + b, 0);
    const predictedCount = confusion.reduce((a, row) => a + (row[c] ?? 0), 0);
    const precision = predictedCount > 0 ? tp / predictedCount : null;
    const recall = support > 0 ? tp / support : null;
    const f1 =
      recall === null
        ? null
        : precision === null || precision + recall === 0
          ? 0
          : (2 * precision * recall) / (precision + recall);
    perClass.push({ classIndex: c, support, predicted: predictedCount, precision, recall, f1 });
  }
  const scored = perClass.filter((m) => m.f1 !== null);
  return {
    sampleCount: total,
    overallAccuracy: total > 0 ? correct / total : 0,
    macroF1: scored.length > 0 ? scored.reduce((a, m) => a + (m.f1 ?? 0), 0) / scored.length : 0,
    confusion,
    perClass,
  };
}

/** Index of the largest probability of each row of a `count x classCount` matrix. */
export function argmaxRows(
  probabilities: Float32Array,
  count: number,
  classCount: number,
): Int32Array {
  const out = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    let best = 0;
    let bestValue = -Infinity;
    for (let c = 0; c < classCount; c++) {
      const v = probabilities[i * classCount + c] as number;
      if (v > bestValue) {
        bestValue = v;
        best = c;
      }
    }
    out[i] = best;
  }
  return out;
}

export interface ParcelVotes {
  /** Per parcel: the class with the highest weighted mean probability over its pixels. */
  readonly meanProbability: Int32Array;
  /** Per parcel: the class most (weighted) pixels are classified as. */
  readonly majority: Int32Array;
  /** Per parcel: its weighted mean class probabilities, `parcelCount x classCount`. */
  readonly probabilities: Float32Array;
}

/**
 * Parcel-level decisions from pixel probabilities.
 *
 * @param parcelOfSample per sample, its parcel index (0 .. parcelCount - 1).
 * @param weights per sample (e.g. fraction inside the parcel); default 1.
 */
export function voteParcels(
  probabilities: Float32Array,
  classCount: number,
  parcelOfSample: Int32Array,
  parcelCount: number,
  weights?: Float32Array,
): ParcelVotes {
  const sums = new Float64Array(parcelCount * classCount);
  const votes = new Float64Array(parcelCount * classCount);
  const totals = new Float64Array(parcelCount);
  const predicted = argmaxRows(probabilities, parcelOfSample.length, classCount);
  for (let i = 0; i < parcelOfSample.length; i++) {
    const parcel = parcelOfSample[i] as number;
    const w = weights ? (weights[i] as number) : 1;
    totals[parcel] = (totals[parcel] as number) + w;
    for (let c = 0; c < classCount; c++)
      sums[parcel * classCount + c] =
        (sums[parcel * classCount + c] as number) +
        w * (probabilities[i * classCount + c] as number);
    const k = parcel * classCount + (predicted[i] as number);
    votes[k] = (votes[k] as number) + w;
  }
  const mean = new Float32Array(parcelCount * classCount);
  for (let q = 0; q < parcelCount; q++)
    for (let c = 0; c < classCount; c++)
      mean[q * classCount + c] =
        (totals[q] as number) > 0
          ? (sums[q * classCount + c] as number) / (totals[q] as number)
          : 0;
  return {
    meanProbability: argmaxRows(mean, parcelCount, classCount),
    majority: argmaxRows(Float32Array.from(votes), parcelCount, classCount),
    probabilities: mean,
  };
}
