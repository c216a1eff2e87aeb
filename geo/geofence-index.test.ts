import { describe, expect, it } from 'vitest';
import { createGeofenceIndex, type FarmBoundary } from './geofence-index.ts';
import type { LinearRing, LngLat } from './types.ts';

function box(w: number, s: number, e: number, n: number): LinearRing {
  return [
    [w, s],
    [e, s],
    [e, n],
    [w, n],
    [w, s],
  ];
}

// Farm A: 0.01° × 0.01° (about 700 m × 1 100 m).
const farmA: FarmBoundary = {
  id: 'A',
  boundary: { type: 'Polygon', coordinates: [box(3.02, 50.81, 3.03, 50.82)] },
};
// Farm C overlaps A's east side; farm P has a pond (hole); farm M is two blocks.
const farmC: FarmBoundary = {
  id: 'C',
  boundary: { type: 'Polygon', coordinates: [box(3.028, 50.815, 3.04, 50.825)] },
};
const farmP: FarmBoundary = {
  id: 'P',
  boundary: {
    type: 'Polygon',
    coordinates: [box(3.05, 50.81, 3.06, 50.82), box(3.054, 50.814, 3.056, 50.816).reverse()],
  },
};
const farmM: FarmBoundary = {
  id: 'M',
  boundary: {
    type: 'MultiPolygon',
    coordinates: [[box(3.07, 50.81, 3.075, 50.815)], [box(3.08, 50.81, 3.085, 50.815)]],
  },
};
const index = createGeofenceIndex([farmA, farmC, farmP, farmM]);
/** On A's east fence, away from farm C. */
const eastFence: LngLat = [3.03, 50.812];

describe('createGeofenceIndex', () => {
  it('finds the farms containing a point, overlaps included', () => {
    expect(index.size).toBe(4);
    expect(index.farmsContaining([3.025, 50.812])).toEqual(['A']);
    expect(index.farmsContaining([3.029, 50.817])).toEqual(['A', 'C']);
    expect(index.farmsContaining([3.035, 50.82])).toEqual(['C']);
    expect(index.farmsContaining([3.1, 50.9])).toEqual([]);
  });

  it('respects holes, MultiPolygons and concave gaps, and counts the fence as inside', () => {
    expect(index.farmsContaining([3.055, 50.815])).toEqual([]); // in the pond
    expect(index.farmsContaining([3.052, 50.815])).toEqual(['P']);
    expect(index.farmsContaining([3.082, 50.812])).toEqual(['M']);
    expect(index.farmsContaining([3.078, 50.812])).toEqual([]); // between M's blocks, inside its bbox
    expect(index.farmsContaining(eastFence)).toEqual(['A']);
  });

  it('answers for one farm by id, and names an unknown id', () => {
    expect(index.isInsideFarm('A', [3.025, 50.812])).toBe(true);
    expect(index.isInsideFarm('A', [3.035, 50.812])).toBe(false);
    expect(index.hasFarm('Z')).toBe(false);
    expect(() => index.isInsideFarm('Z', [3.025, 50.812])).toThrow(
      new RangeError('farm id "Z" is not in the geofence index'),
    );
  });

  it('refuses duplicate ids and empty boundaries; an empty index finds nothing', () => {
    expect(() => createGeofenceIndex([farmA, farmA])).toThrow(
      new RangeError('farm id "A" appears twice; ids must be unique'),
    );
    expect(() =>
      createGeofenceIndex([{ id: 'E', boundary: { type: 'Polygon', coordinates: [] } }]),
    ).toThrow(new RangeError('farm "E": boundary has no positions'));
    expect(createGeofenceIndex([]).farmsContaining([3.025, 50.812])).toEqual([]);
  });
});
