import { describe, expect, it } from 'vitest';
import { bboxOf } from './bbox.ts';
import type { MultiPolygon, Polygon } from './types.ts';

describe('bboxOf', () => {
  it('gives the min/max of a Polygon', () => {
    const triangle: Polygon = {
      type: 'Polygon',
      coordinates: [
        [
          [3.02, 50.81],
          [3.03, 50.812],
          [3.025, 50.82],
          [3.02, 50.81],
        ],
      ],
    };
    expect(bboxOf(triangle)).toEqual([3.02, 50.81, 3.03, 50.82]);
  });

  it('ignores altitude', () => {
    const withAltitude: Polygon = {
      type: 'Polygon',
      coordinates: [
        [
          [3.02, 50.81, 12],
          [3.03, 50.81, 900],
          [3.03, 50.82, -5],
          [3.02, 50.81, 12],
        ],
      ],
    };
    expect(bboxOf(withAltitude)).toEqual([3.02, 50.81, 3.03, 50.82]);
  });

  it('spans all polygons of a MultiPolygon, including negative coordinates', () => {
    const multi: MultiPolygon = {
      type: 'MultiPolygon',
      coordinates: [
        [
          [
            [-1, -2],
            [0, -2],
            [0, -1],
            [-1, -2],
          ],
        ],
        [
          [
            [4.06, 50.745],
            [4.065, 50.745],
            [4.065, 50.75],
            [4.06, 50.745],
          ],
        ],
      ],
    };
    expect(bboxOf(multi)).toEqual([-1, -2, 4.065, 50.75]);
  });

  it('gives a zero-size box for a single position', () => {
    expect(bboxOf({ type: 'Polygon', coordinates: [[[3.02, 50.81]]] })).toEqual([
      3.02, 50.81, 3.02, 50.81,
    ]);
  });

  it('rejects a geometry without positions, naming the field', () => {
    expect(() => bboxOf({ type: 'Polygon', coordinates: [] })).toThrow(
      'geometry.coordinates of Polygon has no positions; a bbox needs at least one',
    );
    expect(() => bboxOf({ type: 'MultiPolygon', coordinates: [[[]]] })).toThrow(RangeError);
  });
});
