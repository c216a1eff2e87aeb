import Flatbush from 'flatbush';
import { bboxOf } from './bbox.ts';
import { distanceToBoundaryM } from './distance-to-boundary.ts';
import { isPointInPolygon } from './point-in-polygon.ts';
import type { Bbox, MultiPolygon, Polygon, Position } from './types.ts';

/** A farm's geofence: its id and its boundary in WGS84. */
export interface FarmBoundary {
  id: string;
  /** `[lng, lat]` in WGS84 degrees, valid (see `validatePolygon`). */
  boundary: Polygon | MultiPolygon;
}

/** A static spatial index of farm boundaries, built by {@link createGeofenceIndex}. */
export interface GeofenceIndex {
  /** Number of farms indexed. */
  readonly size: number;
  /** Ids of the farms whose boundary contains the point (boundary included), in input order. */
  farmsContaining(lngLat: Position): string[];
  /** Whether the point is inside that farm's boundary (on the boundary counts as inside). */
  isInsideFarm(farmId: string, lngLat: Position): boolean;
  /** Distance in metres from the point to that farm's fence, inside or outside. */
  distanceToFenceM(farmId: string, lngLat: Position): number;
  /** Whether the index holds that farm. */
  hasFarm(farmId: string): boolean;
}

/**
 * Builds an index that answers "which farms is this ear tag in" for many farm boundaries.
 *
 * The farms' bounding boxes go into a Flatbush packed Hilbert R-tree (V. Agafonkin,
 * https://github.com/mourner/flatbush; built once in O(n log n), static); a query takes the farms
 * whose box contains the point in O(log n + k) and then tests each polygon exactly with
 * `isPointInPolygon` (even-odd ray casting, planar in degrees, boundary inside). A lookup by farm
 * id skips the tree. Distances use `distanceToBoundaryM` (local equirectangular frame). The index
 * keeps references to the boundaries given: do not mutate them afterwards.
 *
 * @param farms - Farm ids and boundaries; ids must be unique.
 * @returns The index. Pure: no I/O, no timers.
 * @throws {RangeError} If an id appears twice, or a boundary has no positions, naming the id.
 * @example
 * ```ts
 * const index = createGeofenceIndex([{ id: 'F-KRT-01', boundary: farmPolygon }]);
 * index.farmsContaining([3.0245, 50.8158]); // ['F-KRT-01']
 * index.isInsideFarm('F-KRT-01', [3.1, 50.9]); // false
 * ```
 */
export function createGeofenceIndex(farms: Iterable<FarmBoundary>): GeofenceIndex {
  const list: FarmBoundary[] = [];
  const byId = new Map<string, FarmBoundary>();
  for (const farm of farms) {
    if (byId.has(farm.id)) {
      throw new RangeError(`farm id ${JSON.stringify(farm.id)} appears twice; ids must be unique`);
    }
    byId.set(farm.id, farm);
    list.push(farm);
  }
  const boxes: Bbox[] = list.map((farm) => {
    try {
      return bboxOf(farm.boundary);
    } catch (error) {
      throw new RangeError(`farm ${JSON.stringify(farm.id)}: boundary has no positions`, {
        cause: error,
      });
    }
  });
  let tree: Flatbush | null = null;
  if (list.length > 0) {
    tree = new Flatbush(list.length);
    for (const [minLng, minLat, maxLng, maxLat] of boxes) tree.add(minLng, minLat, maxLng, maxLat);
    tree.finish();
  }

  const farmOf = (farmId: string): FarmBoundary => {
    const farm = byId.get(farmId);
    if (farm === undefined) {
      throw new RangeError(`farm id ${JSON.stringify(farmId)} is not in the geofence index`);
    }
    return farm;
  };

  return {
    size: list.length,
    farmsContaining(lngLat) {
      if (tree === null) return [];
      const [lng, lat] = lngLat;
      const hits = tree.search(lng, lat, lng, lat);
      hits.sort((a, b) => a - b);
      const ids: string[] = [];
      for (const i of hits) {
        const farm = list[i];
        if (farm !== undefined && isPointInPolygon(lngLat, farm.boundary)) ids.push(farm.id);
      }
      return ids;
    },
    isInsideFarm(farmId, lngLat) {
      return isPointInPolygon(lngLat, farmOf(farmId).boundary);
    },
    distanceToFenceM(farmId, lngLat) {
      return distanceToBoundaryM(lngLat, farmOf(farmId).boundary);
    },
    hasFarm(farmId) {
      return byId.has(farmId);
    },
  };
}
