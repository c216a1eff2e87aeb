/**
 * Domain types shared by everything in `geo/`.
 *
 * Coordinates are always `[lng, lat]` in decimal degrees on WGS84 (GeoJSON order, RFC 7946 §3.1.1).
 * These are deliberately minimal GeoJSON geometry types so that `geo/` needs no `@types/geojson`.
 */

/** A WGS84 position `[longitude, latitude]` in decimal degrees. */
export type LngLat = [lng: number, lat: number];

/**
 * A GeoJSON position. RFC 7946 allows an optional third element (altitude in metres); `geo/`
 * functions read only the first two.
 */
export type Position = LngLat | [lng: number, lat: number, altitudeM: number];

/**
 * A linear ring: closed (first position equals last), at least four positions. Exterior rings are
 * counter-clockwise and holes clockwise per RFC 7946 §3.1.6, although `geo/` functions accept either.
 */
export type LinearRing = Position[];

/** A GeoJSON Polygon: `coordinates[0]` is the exterior ring, any further rings are holes. */
export interface Polygon {
  type: 'Polygon';
  coordinates: LinearRing[];
}

/** A GeoJSON MultiPolygon: a list of polygon coordinate arrays. */
export interface MultiPolygon {
  type: 'MultiPolygon';
  coordinates: LinearRing[][];
}

/** Any areal geometry `geo/` works with. */
export type PolygonalGeometry = Polygon | MultiPolygon;

/** A bounding box `[minLng, minLat, maxLng, maxLat]` in decimal degrees (RFC 7946 §5). */
export type Bbox = [minLng: number, minLat: number, maxLng: number, maxLat: number];
