import { toPixelSpace } from './to-pixel-space.ts';
import type { MultiPolygon, PixelWindow, Polygon, TileGrid } from './types.ts';

/**
 * The window of a raster grid that a WGS84 polygon falls in: the smallest block of pixels whose
 * squares cover the polygon's bounding box in pixel space, clamped to the grid.
 *
 * The polygon's vertices are projected into the grid's CRS (`toProjected`, proj4js) and then into
 * pixel space by inverting the grid's affine transform (GDAL geotransform in STAC `proj:transform`
 * order); see {@link TileGrid}. A bounding-box edge within 1e-9 pixel of a pixel boundary snaps to
 * it, so a polygon drawn on pixel corners gets exactly those pixels despite reprojection round-off.
 * Use it to read only the part of a tile a parcel needs (e.g. geotiff.js `readRasters({ window })`
 * takes `[col0, row0, col0 + cols, row0 + rows]`).
 *
 * @param grid - `{ epsg, transform, width, height }` of the raster.
 * @param geometry - Polygon or MultiPolygon, `[lng, lat]` in WGS84 degrees.
 * @returns `{ col0, row0, cols, rows }` in pixels, or null when the polygon misses the grid.
 * @throws {RangeError} If the grid is malformed or its EPSG code unsupported (see `projectionFor`).
 * @example
 * ```ts
 * const transform: AffineTransform = [10, 0, 501360, 0, -10, 5629680];
 * const windowA = { epsg: 32631, transform, width: 64, height: 64 }; // Sentinel-2, 10 m
 * pixelWindowFor(windowA, referenceParcel); // { col0: 16, row0: 21, cols: 26, rows: 25 }
 * ```
 */
export function pixelWindowFor(
  grid: TileGrid,
  geometry: Polygon | MultiPolygon,
): PixelWindow | null {
  return toPixelSpace(grid, geometry).window;
}
