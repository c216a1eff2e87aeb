import geodesic from 'geographiclib-geodesic';
import { describe, expect, it } from 'vitest';
import { distanceToBoundaryM } from './distance-to-boundary.ts';
import type { LinearRing, LngLat, Polygon } from './types.ts';

const { Geodesic } = geodesic;

function box(w: number, s: number, e: number, n: number): LinearRing {
  return [
    [w, s],
    [e, s],
    [e, n],
    [w, n],
    [w, s],
  ];
}

/** The point `distanceM` metres from `from` along the geodesic with azimuth `azimuthDeg`. */
function walk(from: LngLat, azimuthDeg: number, distanceM: number): LngLat {
  const { lat2, lon2 } = Geodesic.WGS84.Direct(from[1], from[0], azimuthDeg, distanceM);
  if (lat2 === undefined || lon2 === undefined) throw new Error('Direct gave no position');
  return [lon2, lat2];
}

/** On the east edge of the field below. */
const eastFence: LngLat = [3.03, 50.812];
const pond: Polygon = {
  type: 'Polygon',
  coordinates: [box(3.05, 50.81, 3.06, 50.82), box(3.054, 50.814, 3.056, 50.816).reverse()],
};

describe('distanceToBoundaryM', () => {
  // 0.01° × 0.01° (about 700 m × 1 100 m); its east edge is the meridian 3.03.
  const field: Polygon = { type: 'Polygon', coordinates: [box(3.02, 50.81, 3.03, 50.82)] };

  it('matches the geodesic distance to a meridian fence: 1 mm at 5 m, 1 cm at 1 km', () => {
    for (const [distanceM, tolerance] of [
      [5, 1e-3],
      [100, 1e-3],
      [1000, 1e-2],
    ] as const) {
      expect(
        Math.abs(distanceToBoundaryM(walk(eastFence, 90, distanceM), field) - distanceM),
      ).toBeLessThan(tolerance);
      // Inside only up to 100 m: the farm is 700 m wide.
      const insideM = Math.min(distanceM, 100);
      expect(
        Math.abs(distanceToBoundaryM(walk(eastFence, 270, insideM), field) - insideM),
      ).toBeLessThan(tolerance);
    }
  });

  it('measures to corners and to holes', () => {
    const corner = walk([3.03, 50.82], 45, 50);
    expect(distanceToBoundaryM(corner, field)).toBeCloseTo(50, 2);
    const nearPond = walk([3.056, 50.815], 90, 7);
    expect(distanceToBoundaryM(nearPond, pond)).toBeCloseTo(7, 2);
    expect(distanceToBoundaryM([3.02, 50.815], field)).toBe(0);
  });
});
