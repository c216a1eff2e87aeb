/**
 * Public API of `geo/`: pure geometry on WGS84 `[lng, lat]` coordinates, no I/O.
 * Other modules import from here, never from the individual files.
 */
export { areaM2 } from './area.ts';
export { bboxOf } from './bbox.ts';
export { distanceToBoundaryM } from './distance-to-boundary.ts';
export { createGeofenceIndex } from './geofence-index.ts';
export type { FarmBoundary, GeofenceIndex } from './geofence-index.ts';
export { createGeofenceTracker } from './geofence-tracker.ts';
export type {
  GeofenceTracker,
  GeofenceTrackerOptions,
  GeofenceUpdate,
} from './geofence-tracker.ts';
export { pixelCoverage } from './pixel-coverage.ts';
export type { PixelCoverage, PixelCoverageOptions } from './pixel-coverage.ts';
export { isPointInPolygon } from './point-in-polygon.ts';
export type { PointInPolygonOptions } from './point-in-polygon.ts';
export { pixelWindowFor } from './raster-window.ts';
export { projectionFor, reprojectPolygon, toLngLat, toProjected } from './reproject.ts';
export type { Projection } from './reproject.ts';
export { validatePolygon } from './validate-polygon.ts';
export type { PolygonValidation, ValidatePolygonOptions } from './validate-polygon.ts';
export type {
  AffineTransform,
  Bbox,
  GeometryProblem,
  GeometryRule,
  LinearRing,
  LngLat,
  MultiPolygon,
  PixelWindow,
  Polygon,
  PolygonalGeometry,
  Position,
  TileGrid,
  Xy,
} from './types.ts';
