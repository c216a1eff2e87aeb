import type { GeofenceIndex } from './geofence-index.ts';
import type { Position } from './types.ts';

/** Options for {@link createGeofenceTracker}. */
export interface GeofenceTrackerOptions {
  /**
   * Hysteresis margin in metres (≥ 0): how far past the fence a tag must be before its state
   * flips. Should exceed the tags' position noise (GNSS: 3–10 m).
   */
  marginM: number;
}

/** The outcome of one {@link GeofenceTracker.update}. */
export interface GeofenceUpdate {
  /** The tag's state after this fix (with hysteresis). */
  inside: boolean;
  /** Whether this fix flipped the state; false on a first fix. */
  changed: boolean;
  /** Unsigned distance in metres from the fix to the fence. */
  distanceToFenceM: number;
  /** Whether the fix itself lies inside the fence, without hysteresis (boundary inside). */
  pointInside: boolean;
  /** True when the tracker had no state for this tag on this farm (new tag, or it changed farm). */
  firstFix: boolean;
}

/** Per-tag inside/outside state with hysteresis; see {@link createGeofenceTracker}. */
export interface GeofenceTracker {
  /** Records a fix of `tagId` against the fence of `farmId` and returns the new state. */
  update(tagId: string, farmId: string, lngLat: Position): GeofenceUpdate;
  /** The current state of a tag, if any. */
  stateOf(tagId: string): { farmId: string; inside: boolean } | undefined;
  /** Drops a tag's state (e.g. tag retired); returns whether there was one. */
  forget(tagId: string): boolean;
  /** Number of tags tracked. */
  readonly size: number;
}

/**
 * Tracks whether each ear tag is inside its farm's fence, with hysteresis so that position noise
 * along the fence does not raise a stream of escape/return events.
 *
 * A tag's first fix (or its first on another farm) takes the plain point-in-polygon answer. After
 * that, an inside tag becomes outside only on a fix outside the fence by more than `marginM`, and
 * an outside tag becomes inside only on a fix inside by more than `marginM`; fixes within the band
 * of ±`marginM` around the fence keep the previous state (a Schmitt trigger). Exactly `marginM`
 * away does not flip. Distances come from the index (`distanceToBoundaryM`: local equirectangular
 * frame around the fix, WGS84 radii; error far below a centimetre for margins of metres).
 *
 * The tracker holds state in memory (a Map by tag id) but does no I/O and reads no clock; the
 * caller persists or rebuilds it as it sees fit.
 *
 * @param index - The farms' geofence index.
 * @param options - `marginM`, metres ≥ 0.
 * @returns The tracker.
 * @throws {RangeError} If `marginM` is negative or not finite; `update` throws for a farm id the
 *   index does not hold (see `GeofenceIndex.hasFarm`).
 * @example
 * ```ts
 * const tracker = createGeofenceTracker(index, { marginM: 5 });
 * tracker.update('BE-000123', 'F-KRT-01', [3.0245, 50.8158]);
 * // { inside: true, changed: false, firstFix: true, … }
 * tracker.update('BE-000123', 'F-KRT-01', [3.0301, 50.8158]);
 * // { inside: false, changed: true, … } if that is more than 5 m outside the fence
 * ```
 */
export function createGeofenceTracker(
  index: GeofenceIndex,
  options: GeofenceTrackerOptions,
): GeofenceTracker {
  const { marginM } = options;
  if (!Number.isFinite(marginM) || marginM < 0) {
    throw new RangeError(`marginM ${String(marginM)} must be a finite number >= 0 (metres)`);
  }
  const states = new Map<string, { farmId: string; inside: boolean }>();
  return {
    update(tagId, farmId, lngLat) {
      const pointInside = index.isInsideFarm(farmId, lngLat);
      const distanceToFenceM = index.distanceToFenceM(farmId, lngLat);
      const previous = states.get(tagId);
      if (previous === undefined || previous.farmId !== farmId) {
        states.set(tagId, { farmId, inside: pointInside });
        return {
          inside: pointInside,
          changed: false,
          distanceToFenceM,
          pointInside,
          firstFix: true,
        };
      }
      const flips = pointInside !== previous.inside && distanceToFenceM > marginM;
      if (flips) previous.inside = pointInside;
      return {
        inside: previous.inside,
        changed: flips,
        distanceToFenceM,
        pointInside,
        firstFix: false,
      };
    },
    stateOf(tagId) {
      const state = states.get(tagId);
      return state === undefined ? undefined : { ...state };
    },
    forget(tagId) {
      return states.delete(tagId);
    },
    get size() {
      return states.size;
    },
  };
}
