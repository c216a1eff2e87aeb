/**
 * Train/test split by parcel, never by pixel: neighbouring pixels of one field are nearly the
 * same sample, and a pixel-wise split would grade the model on fields it was trained on.
 *
 * Stratified by class: each class with at least two parcels sends
 * `clamp(round(n x testFraction), 1, n - 1)` of its parcels, chosen at random with the seed, to
 * the test side; a class with a single parcel stays on the training side and gets no test score.
 */
import { createRandom, shuffleInPlace } from './random.ts';

export interface SplitParcel {
  readonly id: string;
  readonly classIndex: number;
}

export interface ParcelSplit {
  readonly trainIds: readonly string[];
  readonly testIds: readonly string[];
  /** Classes with a single parcel: trained on, not tested. */
  readonly trainOnlyClasses: readonly number[];
  readonly seed: number;
  readonly testFraction: number;
}

export interface SplitParcelsOptions {
  /** Share of each class's parcels held out for testing; default 0.3. */
  readonly testFraction?: number;
  /** Default 1. */
  readonly seed?: number;
}

/**
 * @example splitParcels([{ id: 'a', classIndex: 0 }, { id: 'b', classIndex: 0 }], { seed: 3 })
 *   // one of a, b in trainIds and the other in testIds
 */
export function splitParcels(
  parcels: readonly SplitParcel[],
  options: SplitParcelsOptions = {},
): ParcelSplit {
  const testFraction = options.testFraction ?? 0.3;
  const seed = options.seed ?? 1;
  if (!(testFraction > 0 && testFraction < 1))
    throw new RangeError(`testFraction ${testFraction} out of range (0, 1)`);
  const seen = new Set<string>();
  const byClass = new Map<number, string[]>();
  for (const parcel of parcels) {
    if (seen.has(parcel.id)) throw new RangeError(`parcel id ${parcel.id} appears twice`);
    seen.add(parcel.id);
    const list = byClass.get(parcel.classIndex) ?? [];
    list.push(parcel.id);
    byClass.set(parcel.classIndex, list);
  }
  const random = createRandom(seed);
  const trainIds: string[] = [];
  const testIds: string[] = [];
  const trainOnlyClasses: number[] = [];
  for (const classIndex of [...byClass.keys()].sort((a, b) => a - b)) {
    // Sorted first so that the split does not depend on the input order.
    const ids = shuffleInPlace([...(byClass.get(classIndex) ?? [])].sort(), random);
    if (ids.length < 2) {
      trainOnlyClasses.push(classIndex);
      trainIds.push(...ids);
      continue;
    }
    const testCount = Math.min(ids.length - 1, Math.max(1, Math.round(ids.length * testFraction)));
    testIds.push(...ids.slice(0, testCount));
    trainIds.push(...ids.slice(testCount));
  }
  return { trainIds, testIds, trainOnlyClasses, seed, testFraction };
}
