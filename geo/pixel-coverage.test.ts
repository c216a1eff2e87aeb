import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { pixelCoverage } from './pixel-coverage.ts';
import { pixelWindowFor } from './raster-window.ts';
import { reprojectPolygon, toLngLat } from './reproject.ts';
import type { LinearRing, PixelWindow, Polygon, Position, TileGrid } from './types.ts';

/** Sentinel-2 window A of flanders-2018: 64 × 64 pixels of 10 m in UTM 31N. */
const windowA: TileGrid = {
  epsg: 32631,
  transform: [10, 0, 501360, 0, -10, 5629680],
  width: 64,
  height: 64,
};
const X0 = 501360;
const Y0 = 5629680;

/** A WGS84 ring from UTM 31N corners, counter-clockwise in UTM when given so. */
function utmRing(corners: [number, number][]): LinearRing {
  const ring = corners.map((xy) => toLngLat(32631, xy));
  const first = ring[0];
  if (first !== undefined) ring.push([first[0], first[1]]);
  return ring;
}

/** The UTM rectangle of pixel columns col0…col1 and rows row0…row1 of window A (fractional ok). */
function pixelRect(col0: number, row0: number, col1: number, row1: number): LinearRing {
  const [w, e] = [X0 + 10 * col0, X0 + 10 * col1];
  const [n, s] = [Y0 - 10 * row0, Y0 - 10 * row1];
  return utmRing([
    [w, s],
    [e, s],
    [e, n],
    [w, n],
  ]);
}

function polygon(...rings: LinearRing[]): Polygon {
  return { type: 'Polygon', coordinates: rings };
}

/** Fractions as rows of numbers rounded to 6 decimals, for readable comparisons. */
function grid2d(fractions: Float32Array, window: PixelWindow): number[][] {
  return Array.from({ length: window.rows }, (_, r) =>
    Array.from(
      { length: window.cols },
      (_, c) => Math.round((fractions[r * window.cols + c] ?? NaN) * 1e6) / 1e6,
    ),
  );
}

function sum(values: Iterable<number>): number {
  let total = 0;
  for (const value of values) total += value;
  return total;
}

/** Shoelace area of a polygon's UTM image (holes subtracted), relative to the first position. */
function utmPlanarAreaM2(geometry: Polygon): number {
  const utm = reprojectPolygon(geometry, 4326, 32631);
  let total = 0;
  utm.coordinates.forEach((ring, i) => {
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

function perimeterM(ring: Position[]): number {
  let total = 0;
  for (let k = 0; k + 1 < ring.length; k++) {
    const [ax, ay] = ring[k] ?? [0, 0];
    const [bx, by] = ring[k + 1] ?? [0, 0];
    total += Math.hypot(bx - ax, by - ay);
  }
  return total;
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
    `geo/pixel-coverage.test.ts: skipping the reference parcel tests, missing ${REFERENCE_PARCEL_PATH}`,
  );
}
function referenceParcel(): Polygon {
  const collection = JSON.parse(readFileSync(REFERENCE_PARCEL_PATH, 'utf8')) as {
    features: { geometry: Polygon }[];
  };
  const parcel = collection.features[0]?.geometry;
  if (parcel === undefined) throw new Error('reference parcel has no feature');
  return parcel;
}

describe('pixelWindowFor', () => {
  it('gives exactly the pixels a pixel-aligned block covers, despite reprojection round-off', () => {
    expect(pixelWindowFor(windowA, polygon(pixelRect(2, 1, 5, 3)))).toEqual({
      col0: 2,
      row0: 1,
      cols: 3,
      rows: 2,
    });
  });

  it('clamps to the grid, and gives null when the polygon misses it', () => {
    expect(pixelWindowFor(windowA, polygon(pixelRect(-3, 60.5, 2.5, 70)))).toEqual({
      col0: 0,
      row0: 60,
      cols: 3,
      rows: 4,
    });
    expect(pixelWindowFor(windowA, polygon(pixelRect(64, 0, 70, 5)))).toBeNull();
    expect(pixelWindowFor(windowA, polygon(pixelRect(10, -9, 12, -1)))).toBeNull();
  });

  it.skipIf(!hasReferenceParcel)('finds the reference parcel in window A', () => {
    expect(pixelWindowFor(windowA, referenceParcel())).toEqual({
      col0: 16,
      row0: 21,
      cols: 26,
      rows: 25,
    });
  });

  it('refuses a malformed grid, naming the field', () => {
    const block = polygon(pixelRect(2, 1, 5, 3));
    expect(() => pixelWindowFor({ ...windowA, width: 0 }, block)).toThrow(
      new RangeError('grid.width 0 must be a positive integer'),
    );
    expect(() =>
      pixelWindowFor({ ...windowA, transform: [10, 0, 501360, 20, 0, 5629680] }, block),
    ).toThrow(
      new RangeError(
        'grid.transform [10,0,501360,20,0,5629680] is singular (a·e − b·d = 0), pixels have no area',
      ),
    );
    expect(() => pixelWindowFor({ ...windowA, epsg: 31370 }, block)).toThrow(
      /EPSG:31370 is not supported/,
    );
  });
});

describe('pixelCoverage', () => {
  it('gives 1 inside a polygon exactly covering a 3 × 2 block and 0 around it', () => {
    const around = { col0: 1, row0: 0, cols: 5, rows: 4 };
    const coverage = pixelCoverage(windowA, polygon(pixelRect(2, 1, 5, 3)), { window: around });
    expect(coverage?.window).toEqual(around);
    expect(grid2d(coverage?.fractions ?? new Float32Array(), around)).toEqual([
      [0, 0, 0, 0, 0],
      [0, 1, 1, 1, 0],
      [0, 1, 1, 1, 0],
      [0, 0, 0, 0, 0],
    ]);
  });

  it('gives 0.5 along the edges and 0.25 at the corners of a half-pixel-offset square', () => {
    const coverage = pixelCoverage(windowA, polygon(pixelRect(2.5, 1.5, 4.5, 3.5)));
    expect(coverage?.window).toEqual({ col0: 2, row0: 1, cols: 3, rows: 3 });
    expect(grid2d(coverage?.fractions ?? new Float32Array(), coverage!.window)).toEqual([
      [0.25, 0.5, 0.25],
      [0.5, 1, 0.5],
      [0.25, 0.5, 0.25],
    ]);
  });

  it('leaves holes out, whatever their winding', () => {
    // A 4 × 3 block with a hole over pixel (2, 1) and a half-pixel hole over pixel (0, 2).
    const outer = pixelRect(10, 10, 14, 13);
    const hole = pixelRect(12, 11, 13, 12).reverse();
    const halfHole = pixelRect(10, 12, 10.5, 13);
    const coverage = pixelCoverage(windowA, polygon(outer, hole, halfHole));
    expect(coverage?.window).toEqual({ col0: 10, row0: 10, cols: 4, rows: 3 });
    expect(grid2d(coverage?.fractions ?? new Float32Array(), coverage!.window)).toEqual([
      [1, 1, 1, 1],
      [1, 1, 0, 1],
      [0.5, 1, 1, 1],
    ]);
  });

  it('sums to the planar area of a concave polygon with a hole, to 1e-6', () => {
    // A 14-pointed star around pixel (30, 30), radii 55 m and 160 m, with a triangular hole.
    const corners: [number, number][] = [];
    for (let k = 0; k < 28; k++) {
      const radius = k % 2 === 0 ? 160 : 55;
      const angle = (k * Math.PI) / 14 + 0.1;
      corners.push([X0 + 303 + radius * Math.cos(angle), Y0 - 297 + radius * Math.sin(angle)]);
    }
    const hole = utmRing([
      [X0 + 290, Y0 - 300],
      [X0 + 300, Y0 - 320],
      [X0 + 318, Y0 - 301],
    ]);
    const star = polygon(utmRing(corners), hole);
    const coverage = pixelCoverage(windowA, star);
    const areaFromPixelsM2 = sum(coverage?.fractions ?? new Float32Array()) * 100;
    expect(Math.abs(areaFromPixelsM2 / utmPlanarAreaM2(star) - 1)).toBeLessThan(1e-6);
    expect(Math.max(...(coverage?.fractions ?? []))).toBe(1);
  });

  it('works on a rotated grid too (general affine transform)', () => {
    // 10 m pixels rotated by 30°.
    const cos = 10 * Math.cos(Math.PI / 6);
    const sin = 10 * Math.sin(Math.PI / 6);
    const rotated: TileGrid = {
      epsg: 32631,
      transform: [cos, sin, 501000, sin, -cos, 5630000],
      width: 200,
      height: 200,
    };
    const field = polygon(pixelRect(3.3, 2.1, 27.7, 30.2), pixelRect(10, 10, 12.5, 13).reverse());
    const coverage = pixelCoverage(rotated, field);
    expect(coverage?.window).toEqual({ col0: 2, row0: 49, cols: 37, rows: 37 });
    const areaFromPixelsM2 = sum(coverage?.fractions ?? new Float32Array()) * 100;
    expect(Math.abs(areaFromPixelsM2 / utmPlanarAreaM2(field) - 1)).toBeLessThan(1e-6);
  });

  it('gives null for a polygon off the grid, and zeros over a requested window', () => {
    const away = polygon(pixelRect(100, 100, 102, 102));
    expect(pixelCoverage(windowA, away)).toBeNull();
    const coverage = pixelCoverage(windowA, away, {
      window: { col0: 0, row0: 0, cols: 2, rows: 2 },
    });
    expect([...(coverage?.fractions ?? [])]).toEqual([0, 0, 0, 0]);
  });

  it('refuses a bad buffer or window, naming the value', () => {
    const block = polygon(pixelRect(2, 1, 5, 3));
    expect(() => pixelCoverage(windowA, block, { inwardBufferM: -5 })).toThrow(
      new RangeError('inwardBufferM -5 must be a finite number >= 0'),
    );
    expect(() =>
      pixelCoverage(windowA, block, { window: { col0: 60, row0: 0, cols: 8, rows: 2 } }),
    ).toThrow(
      new RangeError(
        'window {"col0":60,"row0":0,"cols":8,"rows":2} must be whole pixels within the 64 × 64 grid',
      ),
    );
  });

  it('shrinks a 100 m square by a 10 m inward buffer to 80 m × 80 m, within 0.3 %', () => {
    // Tolerance: @turf/buffer offsets on a sphere, up to 0.3 % of 10 m off the WGS84 ellipsoid
    // here, times the 320 m perimeter ≈ 10 m² (0.15 %); doubled.
    const square = polygon(pixelRect(20, 20, 30, 30));
    const shrunk = pixelCoverage(windowA, square, { inwardBufferM: 10 });
    expect(shrunk?.window).toEqual({ col0: 20, row0: 20, cols: 10, rows: 10 });
    const areaM2 = sum(shrunk?.fractions ?? new Float32Array()) * 100;
    expect(Math.abs(areaM2 / 6400 - 1)).toBeLessThan(0.003);
    // The ring of border pixels is empty, the inner 8 × 8 full.
    const fractions = grid2d(shrunk?.fractions ?? new Float32Array(), shrunk!.window);
    expect(fractions[0]?.every((f) => f < 0.01)).toBe(true);
    expect(fractions[1]?.slice(1, 9)).toEqual(
      [1, 1, 1, 1, 1, 1, 1, 1].map(() => expect.closeTo(1, 2)),
    );
    // A buffer wider than the polygon leaves nothing.
    const gone = pixelCoverage(windowA, square, { inwardBufferM: 60 });
    expect(sum(gone?.fractions ?? new Float32Array([1]))).toBe(0);
  });

  describe.skipIf(!hasReferenceParcel)('the reference maize parcel on window A', () => {
    it('sums to its UTM planar area, 25 215.5 m², within 0.5 m²', () => {
      const parcel = referenceParcel();
      const coverage = pixelCoverage(windowA, parcel);
      const areaFromPixelsM2 = sum(coverage?.fractions ?? new Float32Array()) * 100;
      expect(Math.abs(areaFromPixelsM2 - 25215.5)).toBeLessThanOrEqual(0.5);
      expect(Math.abs(areaFromPixelsM2 - utmPlanarAreaM2(parcel))).toBeLessThan(0.01);
    });

    it('loses about perimeter × 10 m to a 10 m inward buffer', () => {
      const parcel = referenceParcel();
      const areaM2 = utmPlanarAreaM2(parcel);
      const utmRingOf = reprojectPolygon(parcel, 4326, 32631).coordinates[0] ?? [];
      const perimeter = perimeterM(utmRingOf); // ≈ 848.8 m
      const shrunkM2 =
        sum(pixelCoverage(windowA, parcel, { inwardBufferM: 10 })?.fractions ?? []) * 100;
      const lostM2 = areaM2 - shrunkM2; // ≈ 8 050 m²
      // Roughly perimeter × 10 m (8 488 m²), less the corners counted twice: within 10 %.
      expect(Math.abs(lostM2 / (perimeter * 10) - 1)).toBeLessThan(0.1);
      // Closer: the inner parallel polygon's area, A − P·d + d²·(Σ tan(τ/2) over convex turns τ −
      // Σ |τ|/2 over reflex turns), exact while no edge vanishes; short edges at two sharp corners
      // and the spherical buffer leave 0.2 % (28 m²): within 0.5 %.
      let corners = 0;
      const n = utmRingOf.length - 1;
      for (let k = 0; k < n; k++) {
        const [px, py] = utmRingOf[(k + n - 1) % n] ?? [0, 0];
        const [qx, qy] = utmRingOf[k] ?? [0, 0];
        const [rx, ry] = utmRingOf[k + 1] ?? [0, 0];
        const turn = Math.atan2(
          (qx - px) * (ry - qy) - (qy - py) * (rx - qx),
          (qx - px) * (rx - qx) + (qy - py) * (ry - qy),
        );
        corners += turn >= 0 ? Math.tan(turn / 2) : turn / 2;
      }
      const expectedM2 = areaM2 - perimeter * 10 + 100 * corners;
      expect(Math.abs(shrunkM2 / expectedM2 - 1)).toBeLessThan(0.005);
    });
  });
});
