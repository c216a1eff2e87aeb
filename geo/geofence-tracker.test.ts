import geodesic from 'geographiclib-geodesic';
import { describe, expect, it } from 'vitest';
import { createGeofenceIndex, type FarmBoundary } from './geofence-index.ts';
import { createGeofenceTracker } from './geofence-tracker.ts';
import type { LinearRing, LngLat } from './types.ts';

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

// Farm A: 0.01° × 0.01° (about 700 m × 1 100 m); its east fence is the meridian 3.03.
const farmA: FarmBoundary = {
  id: 'A',
  boundary: { type: 'Polygon', coordinates: [box(3.02, 50.81, 3.03, 50.82)] },
};
// Farm P has a pond (hole).
const farmP: FarmBoundary = {
  id: 'P',
  boundary: {
    type: 'Polygon',
    coordinates: [box(3.05, 50.81, 3.06, 50.82), box(3.054, 50.814, 3.056, 50.816).reverse()],
  },
};
const index = createGeofenceIndex([farmA, farmP]);
/** On A's east fence. */
const eastFence: LngLat = [3.03, 50.812];

describe('createGeofenceTracker (hysteresis)', () => {
  const marginM = 5;
  const epsilonM = 0.01;
  const outside = (m: number): LngLat => walk(eastFence, 90, m);
  const inside = (m: number): LngLat => walk(eastFence, 270, m);

  it('takes the plain answer on a first fix', () => {
    const tracker = createGeofenceTracker(index, { marginM });
    expect(tracker.update('t1', 'A', outside(2))).toEqual({
      inside: false,
      changed: false,
      distanceToFenceM: expect.closeTo(2, 3),
      pointInside: false,
      firstFix: true,
    });
    expect(tracker.update('t2', 'A', inside(1)).inside).toBe(true);
    expect(tracker.size).toBe(2);
  });

  it('flips inside → outside only past the margin: margin − ε stays, margin + ε flips', () => {
    const tracker = createGeofenceTracker(index, { marginM });
    tracker.update('t', 'A', inside(20));
    expect(tracker.update('t', 'A', outside(marginM - epsilonM))).toMatchObject({
      inside: true,
      changed: false,
      pointInside: false,
      firstFix: false,
    });
    expect(tracker.update('t', 'A', outside(marginM + epsilonM))).toMatchObject({
      inside: false,
      changed: true,
      pointInside: false,
    });
  });

  it('flips outside → inside only past the margin', () => {
    const tracker = createGeofenceTracker(index, { marginM });
    tracker.update('t', 'A', outside(30));
    expect(tracker.update('t', 'A', inside(marginM - epsilonM))).toMatchObject({
      inside: false,
      changed: false,
      pointInside: true,
    });
    expect(tracker.update('t', 'A', inside(marginM + epsilonM))).toMatchObject({
      inside: true,
      changed: true,
    });
  });

  it('does not flap on GNSS jitter across the fence', () => {
    const tracker = createGeofenceTracker(index, { marginM });
    tracker.update('t', 'A', inside(10));
    const jitterM = [3, -2, 4.9, -4.9, 0.5, -0.1, 4.99, -3, 2, -4.5];
    for (const m of jitterM) {
      const fix = m >= 0 ? outside(m) : inside(-m);
      expect(tracker.update('t', 'A', fix)).toMatchObject({ inside: true, changed: false });
    }
  });

  it('flips once on a real escape and stays out', () => {
    const tracker = createGeofenceTracker(index, { marginM });
    tracker.update('t', 'A', inside(50));
    const path = [30, 10, 2, -1, -4, -6, -15, -40, -80, -60].map((m) =>
      m >= 0 ? inside(m) : outside(-m),
    );
    const changes = path.map((fix) => tracker.update('t', 'A', fix)).filter((u) => u.changed);
    expect(changes).toHaveLength(1);
    expect(changes[0]).toMatchObject({ inside: false, distanceToFenceM: expect.closeTo(6, 3) });
    expect(tracker.stateOf('t')).toEqual({ farmId: 'A', inside: false });
  });

  it('starts over when a tag moves to another farm, and forgets', () => {
    const tracker = createGeofenceTracker(index, { marginM });
    tracker.update('t', 'A', inside(50));
    expect(tracker.update('t', 'P', [3.055, 50.815])).toMatchObject({
      inside: false, // in the pond
      changed: false,
      firstFix: true,
    });
    expect(tracker.forget('t')).toBe(true);
    expect(tracker.stateOf('t')).toBeUndefined();
    expect(tracker.forget('t')).toBe(false);
  });

  it('refuses a negative margin and an unknown farm', () => {
    expect(() => createGeofenceTracker(index, { marginM: -1 })).toThrow(
      new RangeError('marginM -1 must be a finite number >= 0 (metres)'),
    );
    const tracker = createGeofenceTracker(index, { marginM });
    expect(() => tracker.update('t', 'Z', eastFence)).toThrow(
      /farm id "Z" is not in the geofence index/,
    );
  });
});
