import { describe, expect, it } from 'vitest';
import { ALERTED, AnimalStore, packPoints, type PointSet } from './animal-store.ts';

function entries(store: AnimalStore, tags: readonly string[]) {
  return Object.fromEntries(tags.map((tag) => [tag, store.positionOf(tag)]));
}

describe('AnimalStore', () => {
  it('adds, moves in place and removes tags, keeping the others where they are', () => {
    const store = new AnimalStore();
    expect(store.put('A', 1, 2)).toBe(true);
    store.put('B', 3, 4);
    store.put('C', 5, 6);
    expect(store.put('A', 10, 20)).toBe(true);
    expect(store.put('A', 10, 20)).toBe(false); // the same fix again changes nothing
    expect(store.count).toBe(3);
    expect(entries(store, ['A', 'B', 'C'])).toEqual({ A: [10, 20], B: [3, 4], C: [5, 6] });

    expect(store.keepOnly(new Set(['B', 'C']))).toBe(true);
    expect(store.keepOnly(new Set(['B', 'C']))).toBe(false);
    expect(store.count).toBe(2);
    expect(entries(store, ['A', 'B', 'C'])).toEqual({ A: null, B: [3, 4], C: [5, 6] });
    store.keepOnly(new Set());
    expect(store.count).toBe(0);
    expect(store.positionOf('C')).toBeNull();
  });

  it('grows past its first capacity without losing positions', () => {
    const store = new AnimalStore();
    for (let i = 0; i < 5000; i++) store.put(`T${i}`, i, -i);
    expect(store.count).toBe(5000);
    expect(store.positionOf('T0')).toEqual([0, -0]);
    expect(store.positionOf('T4999')).toEqual([4999, -4999]);
  });

  it('flags alerted tags, including tags that arrive later, and says when a flag changed', () => {
    const store = new AnimalStore();
    store.put('A', 0, 0);
    expect(store.setAlerted(new Set(['A', 'LATER']))).toBe(true);
    expect(store.setAlerted(new Set(['A', 'LATER']))).toBe(false);
    store.put('LATER', 1, 1);
    store.put('OTHER', 2, 2);
    const flagOf = (tag: string) => {
      const [x] = store.positionOf(tag)!;
      return store.flags[x!]!; // positions 0, 1, 2 were put in order: index = x
    };
    expect([flagOf('A'), flagOf('LATER'), flagOf('OTHER')]).toEqual([ALERTED, ALERTED, 0]);
    expect(store.setAlerted(new Set())).toBe(true);
    expect([flagOf('A'), flagOf('LATER')]).toEqual([0, 0]);
  });

  it('moves the last entry into a removed slot with its flag', () => {
    const store = new AnimalStore();
    store.setAlerted(new Set(['C']));
    store.put('A', 0, 0);
    store.put('B', 1, 1);
    store.put('C', 2, 2);
    store.keepOnly(new Set(['B', 'C']));
    // C took A's slot (index 0) and kept its alert flag.
    expect(store.xy.slice(0, 4)).toEqual(new Float64Array([2, 2, 1, 1]));
    expect([...store.flags.slice(0, 2)]).toEqual([ALERTED, 0]);
  });
});

describe('packPoints', () => {
  const set = (xy: number[], flags: number[]): PointSet => ({
    count: flags.length,
    xy: new Float64Array(xy),
    flags: new Uint8Array(flags),
  });

  it('writes offsets from the first point, alerted points last', () => {
    const packed = packPoints([
      set([1_000_000.4, 6_000_000.6, 1_000_010, 6_000_020], [ALERTED, 0]),
      set([999_990, 5_999_990], [0]),
    ]);
    expect(packed.count).toBe(3);
    expect(packed.origin).toEqual([1_000_000, 6_000_001]);
    expect([...packed.flags]).toEqual([0, 0, ALERTED]);
    const offsets = [...packed.xy].map((v) => Math.round(v * 10) / 10);
    expect(offsets).toEqual([10, 19, -10, -11, 0.4, -0.4]);
  });

  it('keeps centimetres far from the projection origin (float64 -> float32 offsets)', () => {
    const packed = packPoints([
      set([1_9000_000, 1_9000_000, 1_9000_500.37, 1_9000_250.12], [0, 0]),
    ]);
    expect(packed.xy[2]! + packed.origin[0]).toBeCloseTo(1_9000_500.37, 2);
    expect(packed.xy[3]! + packed.origin[1]).toBeCloseTo(1_9000_250.12, 2);
  });

  it('packs nothing into empty arrays', () => {
    const packed = packPoints([set([], [])]);
    expect(packed.count).toBe(0);
    expect(packed.xy.length).toBe(0);
    expect(packed.origin).toEqual([0, 0]);
  });
});
