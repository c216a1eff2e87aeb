import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { areaM2 } from './area.ts';
import { projectionFor, reprojectPolygon, toLngLat, toProjected } from './reproject.ts';
import type { LngLat, MultiPolygon, Polygon, Position, Xy } from './types.ts';

// --- An independent UTM oracle: Krüger's series to n³ as given by Karney (2011), "Transverse
// Mercator with an accuracy of a few nanometers", J. Geodesy 85, eqs. 35–36 (forward) and the
// matching β/δ series (inverse); about 1 mm within 3 000 km of the central meridian. ----------
const A_M = 6378137;
const F = 1 / 298.257223563;
const N = F / (2 - F);
const K0 = 0.9996;
const RECT_A = (A_M / (1 + N)) * (1 + N ** 2 / 4 + N ** 4 / 64);
const ALPHA = [
  N / 2 - (2 * N ** 2) / 3 + (5 * N ** 3) / 16,
  (13 * N ** 2) / 48 - (3 * N ** 3) / 5,
  (61 * N ** 3) / 240,
];
const BETA = [
  N / 2 - (2 * N ** 2) / 3 + (37 * N ** 3) / 96,
  N ** 2 / 48 + N ** 3 / 15,
  (17 * N ** 3) / 480,
];
const DELTA = [
  2 * N - (2 * N ** 2) / 3 - 2 * N ** 3,
  (7 * N ** 2) / 3 - (8 * N ** 3) / 5,
  (56 * N ** 3) / 15,
];
const RAD = Math.PI / 180;

function oracleForward(zone: number, south: boolean, [lng, lat]: LngLat): Xy {
  const lambda0 = (zone * 6 - 183) * RAD;
  const phi = lat * RAD;
  const c = (2 * Math.sqrt(N)) / (1 + N);
  const t = Math.sinh(Math.atanh(Math.sin(phi)) - c * Math.atanh(c * Math.sin(phi)));
  const dl = lng * RAD - lambda0;
  const xi = Math.atan(t / Math.cos(dl));
  const eta = Math.atanh(Math.sin(dl) / Math.sqrt(1 + t * t));
  let e = eta;
  let n = xi;
  ALPHA.forEach((a, j) => {
    const k = 2 * (j + 1);
    e += a * Math.cos(k * xi) * Math.sinh(k * eta);
    n += a * Math.sin(k * xi) * Math.cosh(k * eta);
  });
  return [500000 + K0 * RECT_A * e, (south ? 10000000 : 0) + K0 * RECT_A * n];
}

function oracleInverse(zone: number, south: boolean, [x, y]: Xy): LngLat {
  const xi = (y - (south ? 10000000 : 0)) / (K0 * RECT_A);
  const eta = (x - 500000) / (K0 * RECT_A);
  let xiP = xi;
  let etaP = eta;
  BETA.forEach((b, j) => {
    const k = 2 * (j + 1);
    xiP -= b * Math.sin(k * xi) * Math.cosh(k * eta);
    etaP -= b * Math.cos(k * xi) * Math.sinh(k * eta);
  });
  const chi = Math.asin(Math.sin(xiP) / Math.cosh(etaP));
  let phi = chi;
  DELTA.forEach((d, j) => {
    phi += d * Math.sin(2 * (j + 1) * chi);
  });
  const lambda0 = (zone * 6 - 183) * RAD;
  return [(lambda0 + Math.atan(Math.sinh(etaP) / Math.cos(xiP))) / RAD, phi / RAD];
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
    `geo/reproject.test.ts: skipping the reference parcel tests, missing ${REFERENCE_PARCEL_PATH}`,
  );
}

/** Shoelace area in the plane of the coordinates, relative to the first position for precision. */
function planarArea(geometry: Polygon): number {
  let total = 0;
  geometry.coordinates.forEach((ring, i) => {
    const [x0, y0] = ring[0] ?? [0, 0];
    let twice = 0;
    for (let k = 0; k + 1 < ring.length; k++) {
      const [ax, ay] = ring[k] ?? [0, 0];
      const [bx, by] = ring[k + 1] ?? [0, 0];
      twice += (ax - x0) * (by - y0) - (bx - x0) * (ay - y0);
    }
    total += (i === 0 ? 1 : -1) * Math.abs(twice / 2);
  });
  return total;
}

function expectClose(actual: Position, expected: Position, tolerance: number): void {
  expect(Math.abs(actual[0] - expected[0])).toBeLessThanOrEqual(tolerance);
  expect(Math.abs(actual[1] - expected[1])).toBeLessThanOrEqual(tolerance);
}

describe('projectionFor', () => {
  it('builds every UTM zone from its number', () => {
    expect(projectionFor(32631)).toEqual({
      epsg: 32631,
      name: 'WGS 84 / UTM zone 31N',
      proj4: '+proj=utm +zone=31 +datum=WGS84 +units=m +no_defs',
      isGeographic: false,
    });
    expect(projectionFor(32701).name).toBe('WGS 84 / UTM zone 1S');
    expect(projectionFor(32760).proj4).toBe(
      '+proj=utm +zone=60 +south +datum=WGS84 +units=m +no_defs',
    );
    for (let zone = 1; zone <= 60; zone++) {
      expect(projectionFor(32600 + zone).epsg).toBe(32600 + zone);
      expect(projectionFor(32700 + zone).epsg).toBe(32700 + zone);
    }
    expect(projectionFor(4326).isGeographic).toBe(true);
    expect(projectionFor(3857).name).toBe('WGS 84 / Pseudo-Mercator');
  });

  it('refuses other codes, naming the code and what is supported', () => {
    const supported =
      'geo/ knows EPSG:4326, EPSG:3857 and the WGS 84 / UTM zones EPSG:32601-32660 (north) and EPSG:32701-32760 (south)';
    // Belgian Lambert 72, the UPS zones, the gaps around the UTM ranges, a non-integer.
    for (const epsg of [31370, 32600, 32661, 32700, 32761, 32631.5, Number.NaN]) {
      expect(() => projectionFor(epsg)).toThrow(
        new RangeError(`EPSG:${String(epsg)} is not supported; ${supported}`),
      );
    }
  });
});

describe('toLngLat / toProjected', () => {
  // Sentinel-2 window A (flanders-2018): EPSG:32631, bounds (501360, 5629040)-(502000, 5629680).
  it('gives the corners of Sentinel-2 window A to 1e-6°, agreeing with the Krüger oracle to 1e-8°', () => {
    const southWest = toLngLat(32631, [501360, 5629040]);
    const northEast = toLngLat(32631, [502000, 5629680]);
    expectClose(southWest, [3.0193042, 50.8130873], 1e-6);
    expectClose(northEast, [3.028392, 50.8188408], 1e-6);
    expectClose(southWest, oracleInverse(31, false, [501360, 5629040]), 1e-8);
    expectClose(northEast, oracleInverse(31, false, [502000, 5629680]), 1e-8);
  });

  it("gives the catalog's WGS84 bbox of window A from its four corners", () => {
    // README: [3.019304, 50.813085, 3.028392, 50.818843]. Min latitude is the SE corner's and max
    // the NW corner's (grid north is not true north off the central meridian), not the SW/NE ones.
    const corners = [
      [501360, 5629040],
      [502000, 5629040],
      [501360, 5629680],
      [502000, 5629680],
    ].map((xy) => toLngLat(32631, xy as Xy));
    const lngs = corners.map(([lng]) => lng);
    const lats = corners.map(([, lat]) => lat);
    const bbox = [Math.min(...lngs), Math.min(...lats), Math.max(...lngs), Math.max(...lats)];
    [3.019304, 50.813085, 3.028392, 50.818843].forEach((expected, i) => {
      expect(Math.abs((bbox[i] ?? 0) - expected)).toBeLessThanOrEqual(5e-7);
    });
  });

  it('agrees with the oracle to 1 mm across a zone, north and south', () => {
    const cases: [number, boolean, LngLat][] = [
      [31, false, [3.0193042, 50.8130873]],
      [31, false, [0.2, 51.4]],
      [31, false, [5.9, 49.5]],
      [31, false, [6, 0.5]],
      [33, true, [17.5, -33.9]],
      [60, true, [179.9, -45]],
      [1, false, [-177, 70]],
    ];
    for (const [zone, south, lngLat] of cases) {
      const epsg = (south ? 32700 : 32600) + zone;
      expectClose(toProjected(epsg, lngLat), oracleForward(zone, south, lngLat), 1e-3);
    }
  });

  it('round-trips to a micrometre', () => {
    for (const xy of [
      [501360, 5629040],
      [166021.44, 0.01],
      [833978.56, 9329005.18],
    ] as Xy[]) {
      expectClose(toProjected(32631, toLngLat(32631, xy)), xy, 1e-6);
      expectClose(toProjected(32731, toLngLat(32731, xy)), xy, 1e-6);
    }
  });

  it('projects Web Mercator by its closed form', () => {
    const [lng, lat] = [3.0193042, 50.8130873];
    const x = A_M * lng * RAD;
    const y = A_M * Math.log(Math.tan(Math.PI / 4 + (lat * RAD) / 2));
    expectClose(toProjected(3857, [lng, lat]), [x, y], 1e-6);
    expectClose(toLngLat(3857, [x, y]), [lng, lat], 1e-9);
  });

  it('passes EPSG:4326 through unchanged', () => {
    expect(toProjected(4326, [3.02, 50.81])).toEqual([3.02, 50.81]);
    expect(toLngLat(4326, [3.02, 50.81])).toEqual([3.02, 50.81]);
  });

  it('refuses out-of-range and non-finite coordinates, naming the value and range', () => {
    expect(() => toProjected(32631, [3.02, 91])).toThrow(
      new RangeError('toProjected(EPSG:32631): latitude 91 out of range [-90, 90]'),
    );
    expect(() => toProjected(3857, [3.02, 86])).toThrow(
      new RangeError('toProjected(EPSG:3857): latitude 86 out of range [-85.06, 85.06]'),
    );
    expect(() => toProjected(32631, [Number.NaN, 50])).toThrow(
      new RangeError('toProjected(EPSG:32631): longitude NaN out of range [-180, 180]'),
    );
    expect(() => toLngLat(32631, [Infinity, 5629040])).toThrow(
      new RangeError('toLngLat(EPSG:32631): x Infinity is not a finite number'),
    );
    expect(() => toProjected(2154, [3.02, 50.81])).toThrow(/EPSG:2154 is not supported/);
  });
});

describe('reprojectPolygon', () => {
  const square: Polygon = {
    type: 'Polygon',
    coordinates: [
      [
        [501360, 5629040, 12],
        [502000, 5629040, 12],
        [502000, 5629680, 13],
        [501360, 5629680, 13],
        [501360, 5629040, 12],
      ],
    ],
  };

  it('moves every position, keeps altitudes, and leaves the input alone', () => {
    const lngLat = reprojectPolygon(square, 32631, 4326);
    expectClose(lngLat.coordinates[0]?.[0] ?? [0, 0], [3.0193042, 50.8130873], 1e-6);
    expect(lngLat.coordinates[0]?.[2]?.[2]).toBe(13);
    expect(square.coordinates[0]?.[0]).toEqual([501360, 5629040, 12]);
    const back = reprojectPolygon(lngLat, 4326, 32631);
    back.coordinates[0]?.forEach((position, k) =>
      expectClose(position, square.coordinates[0]?.[k] ?? [0, 0], 1e-6),
    );
  });

  it('goes between two projected CRSs through WGS84', () => {
    const mercator = reprojectPolygon(square, 32631, 3857);
    const expected = toProjected(3857, toLngLat(32631, [501360, 5629040]));
    expectClose(mercator.coordinates[0]?.[0] ?? [0, 0], expected, 1e-6);
    // Web Mercator inflates areas by 1/cos²(lat): about 2.5× at 50.8° N.
    expect(planarArea(mercator) / planarArea(square)).toBeCloseTo(
      1 / Math.cos(50.816 * RAD) ** 2,
      2,
    );
  });

  it('handles MultiPolygons', () => {
    const multi: MultiPolygon = { type: 'MultiPolygon', coordinates: [square.coordinates] };
    const moved = reprojectPolygon(multi, 32631, 4326);
    expect(moved.type).toBe('MultiPolygon');
    expectClose(moved.coordinates[0]?.[0]?.[0] ?? [0, 0], [3.0193042, 50.8130873], 1e-6);
  });

  it.skipIf(!hasReferenceParcel)(
    'gives the reference maize parcel 25 215.5 m² planar in UTM 31N and 25 235.6 m² on the ellipsoid',
    () => {
      const collection = JSON.parse(readFileSync(REFERENCE_PARCEL_PATH, 'utf8')) as {
        features: { geometry: Polygon }[];
      };
      const parcel = collection.features[0]?.geometry;
      if (parcel === undefined) throw new Error('reference parcel has no feature');
      const planarM2 = planarArea(reprojectPolygon(parcel, 4326, 32631));
      // UTM scale factor ≈ 0.99960 here, squared: planar is 0.08 % under the ellipsoidal area.
      expect(Math.abs(planarM2 - 25215.5)).toBeLessThanOrEqual(0.5);
      expect(Math.abs(areaM2(parcel) / 25235.6 - 1)).toBeLessThanOrEqual(0.0005);
    },
  );
});
