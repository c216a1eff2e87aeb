import type { MultiPolygon, Polygon, Position } from './types.ts';

/** Options for {@link isPointInPolygon}. */
export interface PointInPolygonOptions {
  /** When true, a point exactly on a ring counts as outside. Default false (on a ring is inside). */
  ignoreBoundary?: boolean;
}

/**
 * Whether a point lies inside a Polygon or MultiPolygon (and outside its holes).
 *
 * Even-odd ray casting (W. R. Franklin, "PNPOLY", 1970/2006,
 * https://wrfranklin.org/Research/Short_Notes/pnpoly.html), the same rule as
 * `@turf/boolean-point-in-polygon`. It is planar in `[lng, lat]` degrees, i.e. edges are straight
 * lines in plate carrée rather than geodesics; for field-sized polygons (edges under a few km) the
 * two differ by millimetres. Winding does not matter. Not for geometries crossing the antimeridian.
 *
 * @param point - `[lng, lat]` in WGS84 degrees.
 * @param geometry - Polygon or MultiPolygon with `[lng, lat]` coordinates in WGS84 degrees.
 * @param options - `ignoreBoundary` (default false).
 * @returns True when the point is inside.
 * @example
 * ```ts
 * const field = {
 *   type: 'Polygon' as const,
 *   coordinates: [[[3.02, 50.81], [3.03, 50.81], [3.03, 50.82], [3.02, 50.82], [3.02, 50.81]]],
 * };
 * isPointInPolygon([3.025, 50.815], field); // true
 * isPointInPolygon([3.02, 50.815], field, { ignoreBoundary: true }); // false, on the edge
 * ```
 */
export function isPointInPolygon(
  point: Position,
  geometry: Polygon | MultiPolygon,
  options: PointInPolygonOptions = {},
): boolean {
  const { ignoreBoundary = false } = options;
  const polygons = geometry.type === 'Polygon' ? [geometry.coordinates] : geometry.coordinates;
  for (const rings of polygons) {
    const [outer, ...holes] = rings;
    if (outer === undefined) continue;
    const inOuter = ringContains(outer, point);
    if (inOuter === 'outside') continue;
    if (inOuter === 'boundary') return !ignoreBoundary;
    let inHole = false;
    for (const hole of holes) {
      const inThisHole = ringContains(hole, point);
      if (inThisHole === 'boundary') return !ignoreBoundary;
      if (inThisHole === 'inside') {
        inHole = true;
        break;
      }
    }
    if (!inHole) return true;
  }
  return false;
}

type RingRelation = 'inside' | 'outside' | 'boundary';

function ringContains(ring: Position[], point: Position): RingRelation {
  const [x, y] = point;
  let inside = false;
  const count = ring.length;
  for (let i = 0, j = count - 1; i < count; j = i++) {
    const a = ring[i];
    const b = ring[j];
    if (a === undefined || b === undefined) continue;
    const [xi, yi] = a;
    const [xj, yj] = b;
    const cross = (x - xi) * (yj - yi) - (y - yi) * (xj - xi);
    const onSegment =
      cross === 0 &&
      x >= Math.min(xi, xj) &&
      x <= Math.max(xi, xj) &&
      y >= Math.min(yi, yj) &&
      y <= Math.max(yi, yj);
    if (onSegment) return 'boundary';
    if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) {
      inside = !inside;
    }
  }
  return inside ? 'inside' : 'outside';
}
