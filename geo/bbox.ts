import type { Bbox, MultiPolygon, Polygon } from './types.ts';

/**
 * Bounding box of a Polygon or MultiPolygon, in decimal degrees.
 *
 * A plain min/max over every position (holes included, which never widen it). Like `@turf/bbox`
 * it does not handle geometries that cross the antimeridian: such a geometry gets a box spanning
 * nearly the whole globe.
 *
 * @param geometry - Polygon or MultiPolygon with `[lng, lat]` coordinates in WGS84 degrees.
 * @returns `[minLng, minLat, maxLng, maxLat]` in degrees.
 * @throws {RangeError} If the geometry has no positions (`geometry.coordinates` empty).
 * @example
 * ```ts
 * bboxOf({
 *   type: 'Polygon',
 *   coordinates: [[[3.02, 50.81], [3.03, 50.81], [3.025, 50.82], [3.02, 50.81]]],
 * });
 * // [3.02, 50.81, 3.03, 50.82]
 * ```
 */
export function bboxOf(geometry: Polygon | MultiPolygon): Bbox {
  const polygons = geometry.type === 'Polygon' ? [geometry.coordinates] : geometry.coordinates;
  let minLng = Infinity;
  let minLat = Infinity;
  let maxLng = -Infinity;
  let maxLat = -Infinity;
  for (const rings of polygons) {
    for (const ring of rings) {
      for (const [lng, lat] of ring) {
        if (lng < minLng) minLng = lng;
        if (lng > maxLng) maxLng = lng;
        if (lat < minLat) minLat = lat;
        if (lat > maxLat) maxLat = lat;
      }
    }
  }
  if (minLng > maxLng) {
    throw new RangeError(
      `geometry.coordinates of ${geometry.type} has no positions; a bbox needs at least one`,
    );
  }
  return [minLng, minLat, maxLng, maxLat];
}
