import { toProjected } from './reproject.ts';
import type { MultiPolygon, PixelWindow, Polygon, TileGrid } from './types.ts';

/** One ring in pixel space: `cols[k], rows[k]` is its k-th position as fractional `(col, row)`. */
export interface PixelRing {
  cols: Float64Array;
  rows: Float64Array;
}

/** A geometry in the pixel space of a grid, with the window of pixels it meets. */
export interface PixelSpaceGeometry {
  /** Polygons, each a list of rings (exterior first), as in GeoJSON. */
  polygons: PixelRing[][];
  /** The pixels whose squares meet the geometry's bounding box, clamped to the grid; null if none. */
  window: PixelWindow | null;
}

/**
 * Bounding-box edges closer than this (in pixels) to a pixel boundary snap to it, so that a polygon
 * built on pixel corners does not pick up a row of pixels it covers by 1e-10 after reprojection.
 */
const SNAP_PX = 1e-9;

/**
 * Internal to `geo/` (not exported by `index.ts`): reprojects a WGS84 Polygon or MultiPolygon into
 * a grid's CRS and then into its pixel space, where pixel `(col, row)` is the unit square
 * `[col, col+1] × [row, row+1]`, and finds the window of pixels it meets.
 *
 * Pixel coordinates come from inverting the affine transform: with `x = c + a·col + b·row` and
 * `y = f + d·col + e·row`, `col = (e·(x−c) − b·(y−f)) / (a·e − b·d)` and
 * `row = (a·(y−f) − d·(x−c)) / (a·e − b·d)`. Vertices are transformed; edges stay straight in the
 * grid CRS (see `reprojectPolygon`).
 *
 * @param grid - The grid; checked here for every caller.
 * @param geometry - Polygon or MultiPolygon, `[lng, lat]` in WGS84 degrees.
 * @returns The rings in pixel space and their window.
 * @throws {RangeError} If the grid is malformed (size not a positive integer, transform not six
 *   finite numbers or singular) or its EPSG code is unsupported, naming the field and value.
 * @example
 * ```ts
 * const windowA: TileGrid = {
 *   epsg: 32631, transform: [10, 0, 501360, 0, -10, 5629680], width: 64, height: 64,
 * };
 * toPixelSpace(windowA, referenceParcel).window;
 * // { col0: 16, row0: 21, cols: 26, rows: 25 }
 * ```
 */
export function toPixelSpace(grid: TileGrid, geometry: Polygon | MultiPolygon): PixelSpaceGeometry {
  const { epsg, transform, width, height } = grid;
  for (const [field, value] of [
    ['width', width],
    ['height', height],
  ] as const) {
    if (!Number.isInteger(value) || value < 1) {
      throw new RangeError(`grid.${field} ${String(value)} must be a positive integer`);
    }
  }
  if (!Array.isArray(transform) || transform.length !== 6 || !transform.every(Number.isFinite)) {
    throw new RangeError(
      `grid.transform ${JSON.stringify(transform)} must be six finite numbers [a, b, c, d, e, f]`,
    );
  }
  const [a, b, c, d, e, f] = transform;
  const det = a * e - b * d;
  if (det === 0) {
    throw new RangeError(
      `grid.transform ${JSON.stringify(transform)} is singular (a·e − b·d = 0), pixels have no area`,
    );
  }

  let minCol = Infinity;
  let minRow = Infinity;
  let maxCol = -Infinity;
  let maxRow = -Infinity;
  const polygonsIn = geometry.type === 'Polygon' ? [geometry.coordinates] : geometry.coordinates;
  const polygons = polygonsIn.map((rings) =>
    rings.map((ring): PixelRing => {
      const cols = new Float64Array(ring.length);
      const rows = new Float64Array(ring.length);
      ring.forEach((position, k) => {
        const [x, y] = toProjected(epsg, position);
        const col = (e * (x - c) - b * (y - f)) / det;
        const row = (a * (y - f) - d * (x - c)) / det;
        cols[k] = col;
        rows[k] = row;
        if (col < minCol) minCol = col;
        if (col > maxCol) maxCol = col;
        if (row < minRow) minRow = row;
        if (row > maxRow) maxRow = row;
      });
      return { cols, rows };
    }),
  );

  const col0 = Math.max(0, Math.floor(minCol + SNAP_PX));
  const row0 = Math.max(0, Math.floor(minRow + SNAP_PX));
  const col1 = Math.min(width, Math.ceil(maxCol - SNAP_PX));
  const row1 = Math.min(height, Math.ceil(maxRow - SNAP_PX));
  const window =
    col1 > col0 && row1 > row0 ? { col0, row0, cols: col1 - col0, rows: row1 - row0 } : null;
  return { polygons, window };
}
