import { describe, expect, it } from 'vitest';
import { isPointInPolygon, type Polygon } from '../../geo/index.ts';
import { cameraCount, createHerd, createRandom, stealAnimals, stepHerd } from './herd-model.ts';

// about 700 m x 740 m near Kortrijk
const fence: Polygon = {
  type: 'Polygon',
  coordinates: [
    [
      [3.0185, 50.8127],
      [3.0285, 50.8127],
      [3.0285, 50.8193],
      [3.0185, 50.8193],
      [3.0185, 50.8127],
    ],
  ],
};
const tags = Array.from({ length: 30 }, (_, i) => `T-${i}`);

describe('herd model', () => {
  it('keeps grazing animals inside the fence', () => {
    const random = createRandom(7);
    const herd = createHerd(tags, fence, random);
    for (let tick = 0; tick < 200; tick++) stepHerd(herd, fence, random, { grazeStepM: 80 });
    expect(herd.every((a) => isPointInPolygon(a.position, fence))).toBe(true);
  });

  it('walks stolen animals out together, and the camera sees fewer', () => {
    const random = createRandom(7);
    const herd = createHerd(tags, fence, random);
    const taken = stealAnimals(herd, 5, random);
    expect(new Set(taken.map((a) => a.stolenHeading)).size).toBe(1);
    for (let tick = 0; tick < 10; tick++) stepHerd(herd, fence, random);
    expect(herd.filter((a) => !isPointInPolygon(a.position, fence))).toHaveLength(5);
    expect(cameraCount(herd, fence, 0)).toBe(25);
    expect(cameraCount(herd, fence, 0.2)).toBe(20);
  });

  it('repeats exactly with the same seed', () => {
    const a = createHerd(tags, fence, createRandom(3)).map((x) => x.position);
    const b = createHerd(tags, fence, createRandom(3)).map((x) => x.position);
    expect(a).toEqual(b);
  });
});
