/**
 * Public API of `geo/`: pure geometry on WGS84 `[lng, lat]` coordinates, no I/O.
 * Other modules import from here, never from the individual files.
 */
export { areaM2 } from './area.ts';
export { bboxOf } from './bbox.ts';
export { isPointInPolygon } from './point-in-polygon.ts';
export type { PointInPolygonOptions } from './point-in-polygon.ts';
export type {
  Bbox,
  LinearRing,
  LngLat,
  MultiPolygon,
  Polygon,
  PolygonalGeometry,
  Position,
} from './types.ts';
