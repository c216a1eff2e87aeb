import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { areaM2 } from './area.ts';
import type { LinearRing, Polygon } from './types.ts';

// WGS84 constants (NIMA TR8350.2), independent of geographiclib.
const A_M = 6378137;
const F = 1 / 298.257223563;
const E2 = F * (2 - F);
const E = Math.sqrt(E2);
const B_M = A_M * (1 - F);

/** Total surface area of the WGS84 ellipsoid of revolution, closed form. */
const ELLIPSOID_AREA_M2 = 2 * Math.PI * A_M ** 2 * (1 + ((1 - E2) / E) * Math.atanh(E));

/**
 * Area between the equator and latitude `latDeg` per radian of longitude (authalic integral,
 * Snyder 1987 eq. 3-12 times b²/2).
 */
function zoneAreaPerRadianM2(latDeg: number): number {
  const s = Math.sin((latDeg * Math.PI) / 180);
  return (B_M ** 2 / 2) * (s / (1 - E2 * s * s) + Math.atanh(E * s) / E);
}

function polygon(...rings: LinearRing[]): Polygon {
  return { type: 'Polygon', coordinates: rings };
}

/** Axis-aligned closed ring, counter-clockwise. */
function box(w: number, s: number, e: number, n: number): LinearRing {
  return [
    [w, s],
    [e, s],
    [e, n],
    [w, n],
    [w, s],
  ];
}

const REFERENCE_PARCEL_PATH = fileURLToPath(
  new URL(
    '../../shared/data/sentinel2/flanders-2018/labels/reference_parcel.geojson',
    import.meta.url,
  ),
);
const hasReferenceParcel = existsSync(REFERENCE_PARCEL_PATH);
if (!hasReferenceParcel) {
  console.warn(
    `geo/area.test.ts: skipping the reference parcel test, missing ${REFERENCE_PARCEL_PATH}`,
  );
}

describe('areaM2', () => {
  it.skipIf(!hasReferenceParcel)(
    'gives 25 236 m² for the LPIS Flanders 2018 reference maize parcel (spherical area would be 25 145)',
    () => {
      const collection = JSON.parse(readFileSync(REFERENCE_PARCEL_PATH, 'utf8')) as {
        features: { geometry: Polygon }[];
      };
      const feature = collection.features[0];
      expect(feature).toBeDefined();
      expect(Math.abs(areaM2(feature!.geometry) - 25236)).toBeLessThanOrEqual(1);
    },
  );

  it('gives one eighth of the ellipsoid for the octant (0,0)-(90E,0)-(0,90N)', () => {
    const octant = polygon([
      [0, 0],
      [90, 0],
      [0, 90],
      [0, 0],
    ]);
    expect(Math.abs(areaM2(octant) / (ELLIPSOID_AREA_M2 / 8) - 1)).toBeLessThan(1e-12);
  });

  it('gives 1/720 of the ellipsoid for the 1° lune from the equator to the north pole', () => {
    // Edges are the equator and two meridians, all geodesics, so the area is exact.
    const lune = polygon([
      [0, 0],
      [1, 0],
      [1, 90],
      [0, 90],
      [0, 0],
    ]);
    expect(Math.abs(areaM2(lune) / (ELLIPSOID_AREA_M2 / 720) - 1)).toBeLessThan(1e-12);
  });

  it('matches the authalic zone formula for a 0.001° cell in Flanders', () => {
    // Top and bottom edges are geodesics rather than parallels; over 70 m that differs by < 0.01 m².
    const [w, s, e, n] = [3.02, 50.815, 3.021, 50.816];
    const expectedM2 =
      (((e - w) * Math.PI) / 180) * (zoneAreaPerRadianM2(n) - zoneAreaPerRadianM2(s));
    expect(expectedM2).toBeGreaterThan(7800);
    expect(Math.abs(areaM2(polygon(box(w, s, e, n))) - expectedM2)).toBeLessThan(0.05);
  });

  it('does not depend on winding', () => {
    const ring = box(3.02, 50.81, 3.03, 50.82);
    expect(areaM2(polygon([...ring].reverse()))).toBeCloseTo(areaM2(polygon(ring)), 6);
  });

  it('gives the same area for an open ring as for the closed ring', () => {
    const ring = box(3.02, 50.81, 3.03, 50.82);
    expect(areaM2(polygon(ring.slice(0, -1)))).toBeCloseTo(areaM2(polygon(ring)), 6);
  });

  it('subtracts holes, whatever their winding', () => {
    const outer = box(3.02, 50.81, 3.03, 50.82);
    const hole = box(3.022, 50.812, 3.025, 50.815);
    const expectedM2 = areaM2(polygon(outer)) - areaM2(polygon(hole));
    expect(areaM2(polygon(outer, [...hole].reverse()))).toBeCloseTo(expectedM2, 6);
    expect(areaM2(polygon(outer, hole))).toBeCloseTo(expectedM2, 6);
  });

  it('sums the polygons of a MultiPolygon', () => {
    const a = box(3.02, 50.81, 3.025, 50.815);
    const b = box(4.06, 50.745, 4.065, 50.75);
    expect(areaM2({ type: 'MultiPolygon', coordinates: [[a], [b]] })).toBeCloseTo(
      areaM2(polygon(a)) + areaM2(polygon(b)),
      6,
    );
    expect(areaM2({ type: 'MultiPolygon', coordinates: [] })).toBe(0);
  });

  it('gives 0 for degenerate rings', () => {
    // Points on one meridian (a geodesic), so the ring encloses nothing.
    const onMeridian = polygon([
      [3.02, 50.81],
      [3.02, 50.815],
      [3.02, 50.82],
      [3.02, 50.81],
    ]);
    expect(areaM2(onMeridian)).toBeLessThan(1e-6);
    // Out and back along the same geodesic.
    const spike = polygon([
      [3.02, 50.81],
      [3.03, 50.82],
      [3.02, 50.81],
      [3.03, 50.82],
      [3.02, 50.81],
    ]);
    expect(areaM2(spike)).toBeLessThan(1e-6);
    expect(
      areaM2(
        polygon([
          [3.02, 50.81],
          [3.03, 50.82],
          [3.02, 50.81],
        ]),
      ),
    ).toBe(0);
    expect(areaM2(polygon([[3.02, 50.81]]))).toBe(0);
    expect(areaM2(polygon([]))).toBe(0);
    expect(areaM2(polygon([], box(3.02, 50.81, 3.03, 50.82)))).toBe(0);
  });

  it('rejects an out-of-range coordinate, naming its path, value and range', () => {
    const bad = polygon([
      [3.02, 50.81],
      [3.03, 91],
      [3.03, 50.82],
      [3.02, 50.81],
    ]);
    expect(() => areaM2(bad)).toThrow(
      new RangeError('coordinates[0][1][1] (latitude) 91 out of range [-90, 90]'),
    );
    expect(() =>
      areaM2(
        polygon([
          [Number.NaN, 50.81],
          [3.03, 50.82],
          [3.02, 50.82],
        ]),
      ),
    ).toThrow(/coordinates\[0\]\[0\]\[0\] \(longitude\) NaN out of range \[-180, 180\]/);
  });
});
