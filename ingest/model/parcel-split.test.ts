import { describe, expect, it } from 'vitest';
import { splitParcels } from './parcel-split.ts';

const parcels = [
  ...Array.from({ length: 10 }, (_, i) => ({ id: `grass-${i}`, classIndex: 0 })),
  ...Array.from({ length: 4 }, (_, i) => ({ id: `maize-${i}`, classIndex: 1 })),
  { id: 'wheat-0', classIndex: 2 },
  { id: 'wheat-1', classIndex: 2 },
  { id: 'beet-0', classIndex: 3 },
];

describe('splitParcels', () => {
  it('never puts a parcel on both sides and loses none', () => {
    const split = splitParcels(parcels, { seed: 4 });
    const train = new Set(split.trainIds);
    expect(split.testIds.some((id) => train.has(id))).toBe(false);
    expect(train.size + split.testIds.length).toBe(parcels.length);
  });

  it('stratifies: every class with two or more parcels is tested and trained', () => {
    const split = splitParcels(parcels, { seed: 4, testFraction: 0.3 });
    const count = (ids: readonly string[], prefix: string) =>
      ids.filter((id) => id.startsWith(prefix)).length;
    expect(count(split.testIds, 'grass')).toBe(3);
    expect(count(split.testIds, 'maize')).toBe(1);
    expect(count(split.testIds, 'wheat')).toBe(1);
    expect(count(split.trainIds, 'wheat')).toBe(1);
    expect(split.trainIds).toContain('beet-0');
    expect(split.trainOnlyClasses).toEqual([3]);
  });

  it('repeats for a seed, whatever the input order', () => {
    const a = splitParcels(parcels, { seed: 8 });
    const b = splitParcels([...parcels].reverse(), { seed: 8 });
    expect(a.testIds).toEqual(b.testIds);
  });

  it('rejects duplicate ids', () => {
    expect(() => splitParcels([parcels[0]!, parcels[0]!])).toThrow(/grass-0 appears twice/);
  });
});
