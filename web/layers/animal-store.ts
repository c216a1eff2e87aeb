/**
 * The animals' positions as typed arrays: x, y in the map projection (float64, exact) and one
 * flag byte per animal, indexed by ear tag. Moving 100 000 animals is 200 000 array writes; no
 * object per animal, nothing for the garbage collector.
 */

/** Flag bit: the tag has an open alert (drawn bigger, in vermillion). */
export const ALERTED = 1;

/** Points to draw: `count` positions (x, y pairs) and their flags. */
export interface PointSet {
  readonly count: number;
  readonly xy: Float64Array;
  readonly flags: Uint8Array;
}

/** The live animals: one entry per ear tag at its latest fix. */
export class AnimalStore implements PointSet {
  xy = new Float64Array(2 * 1024);
  flags = new Uint8Array(1024);
  private tags: string[] = [];
  private readonly indexByTag = new Map<string, number>();
  private alerted: ReadonlySet<string> = new Set();

  get count(): number {
    return this.tags.length;
  }

  /** Moves the tag to (x, y), adding it when new. Answers whether anything changed. */
  put(tagCode: string, x: number, y: number): boolean {
    let index = this.indexByTag.get(tagCode);
    if (index === undefined) {
      index = this.tags.length;
      this.grow(index + 1);
      this.tags.push(tagCode);
      this.indexByTag.set(tagCode, index);
      this.flags[index] = this.alerted.has(tagCode) ? ALERTED : 0;
    } else if (this.xy[2 * index] === x && this.xy[2 * index + 1] === y) return false;
    this.xy[2 * index] = x;
    this.xy[2 * index + 1] = y;
    return true;
  }

  /**
   * Drops every tag not in `tagCodes` (the last entry takes the freed slot: no gaps). Answers
   * whether any was dropped.
   */
  keepOnly(tagCodes: ReadonlySet<string>): boolean {
    const before = this.tags.length;
    for (let index = this.tags.length - 1; index >= 0; index--) {
      const tagCode = this.tags[index]!;
      if (tagCodes.has(tagCode)) continue;
      const last = this.tags.length - 1;
      if (index !== last) {
        const moved = this.tags[last]!;
        this.tags[index] = moved;
        this.indexByTag.set(moved, index);
        this.xy[2 * index] = this.xy[2 * last]!;
        this.xy[2 * index + 1] = this.xy[2 * last + 1]!;
        this.flags[index] = this.flags[last]!;
      }
      this.tags.pop();
      this.indexByTag.delete(tagCode);
    }
    return this.tags.length !== before;
  }

  /** Marks the tags with an open alert (also those not seen yet). Answers whether a flag changed. */
  setAlerted(tagCodes: ReadonlySet<string>): boolean {
    this.alerted = new Set(tagCodes);
    let changed = false;
    for (let index = 0; index < this.tags.length; index++) {
      const flag = tagCodes.has(this.tags[index]!) ? ALERTED : 0;
      if ((this.flags[index]! & ALERTED) !== flag) {
        this.flags[index] = (this.flags[index]! & ~ALERTED) | flag;
        changed = true;
      }
    }
    return changed;
  }

  /** The tag's position (map projection), or null when the tag is not on the map. */
  positionOf(tagCode: string): number[] | null {
    const index = this.indexByTag.get(tagCode);
    return index === undefined ? null : [this.xy[2 * index]!, this.xy[2 * index + 1]!];
  }

  private grow(count: number): void {
    if (count <= this.flags.length) return;
    const capacity = Math.max(count, 2 * this.flags.length);
    const xy = new Float64Array(2 * capacity);
    xy.set(this.xy);
    const flags = new Uint8Array(capacity);
    flags.set(this.flags);
    this.xy = xy;
    this.flags = flags;
  }
}

/** Points packed for the GPU: float32 offsets from `origin`, alerted points last (drawn on top). */
export interface PackedPoints {
  readonly origin: readonly [number, number];
  readonly count: number;
  readonly xy: Float32Array;
  readonly flags: Uint8Array;
}

/**
 * Packs the sets into fresh arrays (they are handed to the drawing worker). Positions become
 * offsets from the first point: float32 keeps about 7 digits, a metre at 10 000 km from the
 * projection's origin, a millimetre at 1 000 km from the first animal.
 */
export function packPoints(sets: readonly PointSet[]): PackedPoints {
  const count = sets.reduce((sum, set) => sum + set.count, 0);
  const first = sets.find((set) => set.count > 0);
  const origin: [number, number] =
    first === undefined ? [0, 0] : [Math.round(first.xy[0]!), Math.round(first.xy[1]!)];
  const xy = new Float32Array(2 * count);
  const flags = new Uint8Array(count);
  let at = 0;
  // Two passes: the plain animals, then the alerted ones, so these are drawn over the others.
  for (const alertedPass of [false, true])
    for (const set of sets)
      for (let index = 0; index < set.count; index++) {
        const flag = set.flags[index]!;
        if (((flag & ALERTED) !== 0) !== alertedPass) continue;
        xy[2 * at] = set.xy[2 * index]! - origin[0];
        xy[2 * at + 1] = set.xy[2 * index + 1]! - origin[1];
        flags[at] = flag;
        at++;
      }
  return { origin, count, xy, flags };
}
