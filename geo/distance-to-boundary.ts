import type { MultiPolygon, Polygon, Position } from './types.ts';

// WGS84 (NIMA TR8350.2).
const A_M = 6378137;
const F = 1 / 298.257223563;
const E2 = F * (2 - F);
const RAD = Math.PI / 180;

/**
 * Distance in metres from a point to the nearest edge of a Polygon or MultiPolygon (exterior rings
 * and holes alike), whether the point is inside or outside.
 *
 * Works in a local equirectangular frame centred on the point, scaled by the WGS84 radii of
 * curvature there: `x = N·cos φ₀·Δλ`, `y = M·Δφ` (M meridional, N prime-vertical radius). Within a
 * few kilometres of the point that frame is off by less than 0.1 %, plenty for a geofence (a
 * 5 m margin is then right to 5 mm); far edges come out too long or short by more, but the nearest
 * edge of a farm the animal is at is what matters. Point-to-segment distance is the usual
 * projection clamped to the segment. O(n) in the number of positions. Not for geometries crossing
 * the antimeridian.
 *
 * @param point - `[lng, lat]` in WGS84 degrees.
 * @param geometry - Polygon or MultiPolygon, `[lng, lat]` in WGS84 degrees.
 * @returns Distance in metres (≥ 0); Infinity for a geometry without edges.
 * @example
 * ```ts
 * const field = {
 *   type: 'Polygon' as const,
 *   coordinates: [[[3.02, 50.81], [3.03, 50.81], [3.03, 50.82], [3.02, 50.82], [3.02, 50.81]]],
 * };
 * distanceToBoundaryM([3.031, 50.815], field); // ≈ 70.48 (m east of the east edge)
 * ```
 */
export function distanceToBoundaryM(point: Position, geometry: Polygon | MultiPolygon): number {
  const [lng0, lat0] = point;
  const phi = lat0 * RAD;
  const w = 1 - E2 * Math.sin(phi) ** 2;
  const mPerDegLat = ((A_M * (1 - E2)) / w ** 1.5) * RAD;
  const mPerDegLng = (A_M / Math.sqrt(w)) * Math.cos(phi) * RAD;
  const polygons = geometry.type === 'Polygon' ? [geometry.coordinates] : geometry.coordinates;
  let best2 = Infinity;
  for (const rings of polygons) {
    for (const ring of rings) {
      const first = ring[0];
      if (first === undefined) continue;
      let ax = (first[0] - lng0) * mPerDegLng;
      let ay = (first[1] - lat0) * mPerDegLat;
      for (let k = 1; k < ring.length; k++) {
        const position = ring[k];
        if (position === undefined) continue;
        const bx = (position[0] - lng0) * mPerDegLng;
        const by = (position[1] - lat0) * mPerDegLat;
        // Distance from the origin (the point) to segment a-b.
        const dx = bx - ax;
        const dy = by - ay;
        const length2 = dx * dx + dy * dy;
        const t = length2 === 0 ? 0 : Math.min(1, Math.max(0, -(ax * dx + ay * dy) / length2));
        const cx = ax + t * dx;
        const cy = ay + t * dy;
        const d2 = cx * cx + cy * cy;
        if (d2 < best2) best2 = d2;
        ax = bx;
        ay = by;
      }
      if (ring.length === 1) best2 = Math.min(best2, ax * ax + ay * ay);
    }
  }
  return Math.sqrt(best2);
}
