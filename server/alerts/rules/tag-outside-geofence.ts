import type { Condition, DurationParams } from '../types.ts';

export interface TagOutsideInput {
  readonly earTagId: string;
  readonly tagCode: string;
  readonly herdCode: string;
  readonly farmCode: string;
  /** The tag's state after this fix, with the geofence tracker's hysteresis. */
  readonly inside: boolean;
  /** Distance from the fix to the fence, in metres. */
  readonly distanceM: number;
  readonly lng: number;
  readonly lat: number;
  /** The reading: `(tagCode, observedAt)` is its key in tag_readings. */
  readonly observedAt: string;
  /** When the tag was last seen crossing out (start of this excursion), if known. */
  readonly outsideSince?: string | null;
}

export interface TagOutsideParams extends DurationParams {
  /** Farther than this outside the fence, in metres, is critical. */
  readonly criticalDistanceM: number;
}

export const tagOutsideDefaults: TagOutsideParams = {
  criticalDistanceM: 1000,
  raiseAfterMs: 0,
  clearAfterMs: 10 * 60_000,
};

/**
 * Tag outside geofence: active while the tracker holds the tag outside its herd's farm (the
 * tracker's margin is the hysteresis on space; `clearAfterMs` the one on time, so an animal walking
 * the fence line keeps one alert). Warning; critical beyond `criticalDistanceM`.
 */
export function evaluateTagOutside(input: TagOutsideInput, params: TagOutsideParams): Condition {
  const critical = !input.inside && input.distanceM >= params.criticalDistanceM;
  return {
    kind: 'tag_outside_geofence',
    subjectType: 'ear_tag',
    subjectId: input.earTagId,
    active: !input.inside,
    severity: critical ? 'critical' : 'warning',
    title: `Tag ${input.tagCode} (herd ${input.herdCode}) outside farm ${input.farmCode}`,
    evidence: {
      tagCode: input.tagCode,
      reading: { tagCode: input.tagCode, observedAt: input.observedAt },
      position: { lng: input.lng, lat: input.lat },
      distanceM: Math.round(input.distanceM * 10) / 10,
      outsideSince: input.outsideSince ?? null,
    },
    evidenceKey: critical ? 'far' : 'near',
  };
}
