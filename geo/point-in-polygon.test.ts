import { describe, expect, it } from 'vitest';
import { isPointInPolygon } from './point-in-polygon.ts';
import type { LinearRing, MultiPolygon, Polygon } from './types.ts';

function box(w: number, s: number, e: number, n: number): LinearRing {
  return [
    [w, s],
    [e, s],
    [e, n],
    [w, n],
    [w, s],
  ];
}

const field: Polygon = { type: 'Polygon', coordinates: [box(3.02, 50.81, 3.03, 50.82)] };
const withHole: Polygon = {
  type: 'Polygon',
  coordinates: [box(3.02, 50.81, 3.03, 50.82), box(3.024, 50.814, 3.026, 50.816).reverse()],
};
// An L shape: concave, so a bbox test would get the notch wrong.
const lShape: Polygon = {
  type: 'Polygon',
  coordinates: [
    [
      [0, 0],
      [2, 0],
      [2, 1],
      [1, 1],
      [1, 2],
      [0, 2],
      [0, 0],
    ],
  ],
};

describe('isPointInPolygon', () => {
  it('finds points inside and outside a rectangle', () => {
    expect(isPointInPolygon([3.025, 50.815], field)).toBe(true);
    expect(isPointInPolygon([3.035, 50.815], field)).toBe(false);
    expect(isPointInPolygon([3.025, 50.805], field)).toBe(false);
  });

  it('handles concave rings', () => {
    expect(isPointInPolygon([0.5, 1.5], lShape)).toBe(true);
    expect(isPointInPolygon([1.5, 0.5], lShape)).toBe(true);
    expect(isPointInPolygon([1.5, 1.5], lShape)).toBe(false);
  });

  it('does not depend on winding', () => {
    const clockwise: Polygon = {
      type: 'Polygon',
      coordinates: [box(3.02, 50.81, 3.03, 50.82).reverse()],
    };
    expect(isPointInPolygon([3.025, 50.815], clockwise)).toBe(true);
    expect(isPointInPolygon([3.035, 50.815], clockwise)).toBe(false);
  });

  it('treats holes as outside', () => {
    expect(isPointInPolygon([3.025, 50.815], withHole)).toBe(false);
    expect(isPointInPolygon([3.021, 50.815], withHole)).toBe(true);
  });

  it('counts the boundary as inside unless ignoreBoundary is set', () => {
    for (const point of [
      [3.02, 50.815],
      [3.03, 50.82],
      [3.025, 50.81],
    ] as const) {
      expect(isPointInPolygon([...point], field)).toBe(true);
      expect(isPointInPolygon([...point], field, { ignoreBoundary: true })).toBe(false);
    }
    // On a hole's edge.
    expect(isPointInPolygon([3.024, 50.815], withHole)).toBe(true);
    expect(isPointInPolygon([3.024, 50.815], withHole, { ignoreBoundary: true })).toBe(false);
  });

  it('checks every polygon of a MultiPolygon', () => {
    const multi: MultiPolygon = {
      type: 'MultiPolygon',
      coordinates: [[box(0, 0, 1, 1)], [box(4.06, 50.745, 4.065, 50.75)]],
    };
    expect(isPointInPolygon([4.062, 50.747], multi)).toBe(true);
    expect(isPointInPolygon([0.5, 0.5], multi)).toBe(true);
    expect(isPointInPolygon([2, 2], multi)).toBe(false);
  });

  it('finds nothing inside an empty geometry', () => {
    expect(isPointInPolygon([0, 0], { type: 'Polygon', coordinates: [] })).toBe(false);
    expect(isPointInPolygon([0, 0], { type: 'MultiPolygon', coordinates: [] })).toBe(false);
  });
});
