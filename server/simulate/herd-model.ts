import { bboxOf, isPointInPolygon, type Polygon, type Position } from '../../geo/index.ts';

/** A deterministic PRNG (mulberry32), so a simulation with the same seed repeats exactly. */
export function createRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

export interface SimAnimal {
  readonly tagId: string;
  position: Position;
  /** Walking out with the thieves: heading (radians from east) and no fence to keep it in. */
  stolenHeading: number | null;
  /** A failed tag sends nothing. */
  failed: boolean;
}

export interface HerdModelOptions {
  /** Grazing step per tick, at most, metres (default 15). */
  readonly grazeStepM?: number;
  /** Walking speed of stolen animals, metres per tick (default 150: a brisk walk over ~2 min). */
  readonly theftStepM?: number;
}

const metresPerDegreeLat = 111_320;

/** Moves a position by metres east and north (small steps; fine away from the poles). */
export function offsetM(position: Position, eastM: number, northM: number): Position {
  const [lng, lat] = position;
  const cosLat = Math.cos((lat * Math.PI) / 180);
  return [lng + eastM / (metresPerDegreeLat * cosLat), lat + northM / metresPerDegreeLat];
}

/** A uniformly random point inside the polygon (rejection sampling in its bounding box). */
export function randomPointIn(fence: Polygon, random: () => number): Position {
  const [west, south, east, north] = bboxOf(fence);
  for (let attempt = 0; attempt < 10_000; attempt++) {
    const point: Position = [west + random() * (east - west), south + random() * (north - south)];
    if (isPointInPolygon(point, fence)) return point;
  }
  throw new Error('no point found inside the geofence: is it degenerate?');
}

/**
 * Places animals inside a farm's geofence.
 * @example createHerd('F-KRT-01', fence, 40, createRandom(1))
 */
export function createHerd(
  tagIds: readonly string[],
  fence: Polygon,
  random: () => number,
): SimAnimal[] {
  return tagIds.map((tagId) => ({
    tagId,
    position: randomPointIn(fence, random),
    stolenHeading: null,
    failed: false,
  }));
}

/**
 * One tick: grazing animals take a random step that stays inside the fence (a step that would
 * leave it is not taken); stolen animals walk on along their common heading, out of the fence.
 */
export function stepHerd(
  animals: SimAnimal[],
  fence: Polygon,
  random: () => number,
  options: HerdModelOptions = {},
): void {
  const grazeStepM = options.grazeStepM ?? 15;
  const theftStepM = options.theftStepM ?? 150;
  for (const animal of animals) {
    if (animal.stolenHeading !== null) {
      animal.position = offsetM(
        animal.position,
        theftStepM * Math.cos(animal.stolenHeading),
        theftStepM * Math.sin(animal.stolenHeading),
      );
      continue;
    }
    const heading = random() * 2 * Math.PI;
    const stepM = random() * grazeStepM;
    const next = offsetM(animal.position, stepM * Math.cos(heading), stepM * Math.sin(heading));
    if (isPointInPolygon(next, fence)) animal.position = next;
  }
}

/** Theft: `count` animals (the first ones not yet stolen) walk out together on one heading. */
export function stealAnimals(
  animals: SimAnimal[],
  count: number,
  random: () => number,
): SimAnimal[] {
  const heading = random() * 2 * Math.PI;
  const taken = animals.filter((a) => a.stolenHeading === null).slice(0, count);
  for (const animal of taken) animal.stolenHeading = heading;
  return taken;
}

/** The head count a camera reports: the animals inside the fence, less the undercount share. */
export function cameraCount(
  animals: readonly SimAnimal[],
  fence: Polygon,
  undercount: number,
): number {
  const inside = animals.filter((a) => isPointInPolygon(a.position, fence)).length;
  return Math.max(0, Math.round(inside * (1 - undercount)));
}
