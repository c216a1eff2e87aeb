import geodesic from 'geographiclib-geodesic';
import type { LinearRing, MultiPolygon, Polygon } from './types.ts';

const { Geodesic } = geodesic;

/**
 * Area of a Polygon or MultiPolygon on the WGS84 ellipsoid, in square metres.
 *
 * Each ring is treated as a polygon whose edges are geodesics, and its area is computed with
 * GeographicLib's `PolygonArea` (C. F. F. Karney, "Algorithms for geodesics", J. Geodesy 87,
 * 43–55, 2013, https://doi.org/10.1007/s00190-012-0578-z), accurate to well under 1 m² for
 * field-sized polygons. This is the ellipsoidal area, not the spherical area that `@turf/area`
 * returns; in Flanders the spherical value is about 0.4 % too small (25 145 instead of 25 236 m²
 * for a 2.5 ha parcel).
 *
 * The result does not depend on winding: every ring's area is taken as an absolute value, holes
 * (rings after the first) are subtracted from their exterior ring, and the polygons of a
 * MultiPolygon are summed. Rings may be closed (GeoJSON) or open. A ring with fewer than three
 * distinct positions, or whose positions all lie on one geodesic, has area 0. Rings are assumed to
 * be simple and each to enclose less than half of the ellipsoid (any parcel or farm does).
 *
 * @param geometry - Polygon or MultiPolygon with `[lng, lat]` coordinates in WGS84 degrees.
 * @returns Area in m² (≥ 0).
 * @throws {RangeError} If a coordinate is not finite or out of range; the message names the
 *   coordinate's path, its value and the allowed range.
 * @example
 * ```ts
 * areaM2({
 *   type: 'Polygon',
 *   coordinates: [[[3.0, 50.8], [3.001, 50.8], [3.001, 50.801], [3.0, 50.801], [3.0, 50.8]]],
 * });
 * // ≈ 7842.5 (m², a 0.001° × 0.001° cell at 50.8° N)
 * ```
 */
export function areaM2(geometry: Polygon | MultiPolygon): number {
  if (geometry.type === 'Polygon') {
    return polygonAreaM2(geometry.coordinates, 'coordinates');
  }
  let totalM2 = 0;
  geometry.coordinates.forEach((polygon, i) => {
    totalM2 += polygonAreaM2(polygon, `coordinates[${i}]`);
  });
  return totalM2;
}

/** Exterior ring area minus hole areas, never below 0. */
function polygonAreaM2(rings: LinearRing[], path: string): number {
  let areaM2 = 0;
  rings.forEach((ring, i) => {
    const ringM2 = ringAreaM2(ring, `${path}[${i}]`);
    areaM2 += i === 0 ? ringM2 : -ringM2;
  });
  return Math.max(0, areaM2);
}

/** Unsigned geodesic area of one ring in m². */
function ringAreaM2(ring: LinearRing, path: string): number {
  const polygon = Geodesic.WGS84.Polygon(false);
  // GeoJSON rings repeat the first position at the end; PolygonArea closes the ring itself.
  const first = ring[0];
  const last = ring[ring.length - 1];
  const closed =
    ring.length > 1 &&
    first !== undefined &&
    last !== undefined &&
    first[0] === last[0] &&
    first[1] === last[1];
  const count = closed ? ring.length - 1 : ring.length;
  for (let j = 0; j < count; j++) {
    const position = ring[j];
    if (position === undefined) continue;
    const [lng, lat] = position;
    checkCoordinate(lng, -180, 180, `${path}[${j}][0] (longitude)`);
    checkCoordinate(lat, -90, 90, `${path}[${j}][1] (latitude)`);
    polygon.AddPoint(lat, lng);
  }
  if (polygon.num < 3) return 0;
  // reverse = false, sign = true: signed area, counter-clockwise positive.
  const { area } = polygon.Compute(false, true);
  return Math.abs(area ?? 0);
}

function checkCoordinate(value: number, min: number, max: number, field: string): void {
  if (!Number.isFinite(value) || value < min || value > max) {
    throw new RangeError(`${field} ${String(value)} out of range [${min}, ${max}]`);
  }
}
