/** One accepted position fix of a tag: where and when (device clock). */
export interface TagFix {
  readonly observedAt: Date;
  readonly lat: number;
  readonly lon: number;
}

/** Why a fix is not plausible after the tag's previous one. */
export interface ImplausibleFix {
  readonly code: 'impossible_jump' | 'duplicate_conflict';
  readonly message: string;
  /** Implied speed from the previous fix, km/h (null for a duplicate timestamp). */
  readonly speedKmh: number | null;
  readonly limitKmh: number;
  readonly distanceM: number;
  readonly elapsedMs: number;
}

/**
 * What the check found. `accept` is a new fix, later than the previous one; `duplicate` repeats
 * the previous fix exactly (a retry: stored once by the idempotent write); `out_of_order` is older
 * than the previous fix and accepted without a jump check (see `checkFixPlausibility`).
 */
export type PlausibilityVerdict =
  | { readonly ok: true; readonly kind: 'accept' | 'duplicate' | 'out_of_order' }
  | ({ readonly ok: false } & ImplausibleFix);

export interface PlausibilityOptions {
  /**
   * Fastest believable ground speed, km/h. The default 60 km/h is above a galloping cow (about
   * 40-55 km/h in short bursts) and far above grazing (under 5 km/h), and below a truck on a
   * highway (the idaho-collars logs start with collars riding a truck at about 100 km/h).
   */
  readonly maxSpeedKmh?: number;
}

export const defaultMaxAnimalSpeedKmh = 60;

const earthRadiusM = 6_371_008.8; // mean radius, as Turf uses

/** Great-circle distance in metres (haversine). */
function haversineM(a: TagFix, b: TagFix): number {
  const rad = Math.PI / 180;
  const dLat = (b.lat - a.lat) * rad;
  const dLon = (b.lon - a.lon) * rad;
  const h =
    Math.sin(dLat / 2) ** 2 +
    Math.cos(a.lat * rad) * Math.cos(b.lat * rad) * Math.sin(dLon / 2) ** 2;
  return 2 * earthRadiusM * Math.asin(Math.min(1, Math.sqrt(h)));
}

/**
 * Checks a tag's new fix against its previous accepted one. Pure; never throws.
 *
 * - Same timestamp, same position: a duplicate (a redelivery or a second gateway); fine.
 * - Same timestamp, another position: `duplicate_conflict` (the tag cannot be in two places).
 * - Later timestamp: the implied speed (haversine distance / elapsed time) must not exceed
 *   `maxSpeedKmh`, or it is an `impossible_jump`.
 * - Earlier timestamp (out of order, e.g. a gateway flushing its buffer late): accepted without a
 *   jump check. Its true neighbours are not known here, and comparing it with a later fix would
 *   charge the whole gap to one leg. Callers keep the later fix as the reference.
 *
 * @example
 * checkFixPlausibility(
 *   { observedAt: new Date('2017-12-12T00:00:00Z'), lat: 43.6, lon: -116.2 },
 *   { observedAt: new Date('2017-12-12T00:05:00Z'), lat: 43.7, lon: -116.2 },
 * ) // { ok: false, code: 'impossible_jump', speedKmh: 133.4, limitKmh: 60, ... }
 */
export function checkFixPlausibility(
  previous: TagFix | null,
  next: TagFix,
  options: PlausibilityOptions = {},
): PlausibilityVerdict {
  const limitKmh = options.maxSpeedKmh ?? defaultMaxAnimalSpeedKmh;
  if (previous === null) return { ok: true, kind: 'accept' };
  const elapsedMs = next.observedAt.getTime() - previous.observedAt.getTime();
  if (elapsedMs < 0) return { ok: true, kind: 'out_of_order' };
  const distanceM = haversineM(previous, next);
  if (elapsedMs === 0) {
    if (next.lat === previous.lat && next.lon === previous.lon)
      return { ok: true, kind: 'duplicate' };
    return {
      ok: false,
      code: 'duplicate_conflict',
      message: `observedAt ${next.observedAt.toISOString()} already has a fix at (${previous.lat}, ${previous.lon}); (${next.lat}, ${next.lon}) is ${Math.round(distanceM)} m away`,
      speedKmh: null,
      limitKmh,
      distanceM,
      elapsedMs,
    };
  }
  const speedKmh = (distanceM / elapsedMs) * 3_600;
  if (speedKmh > limitKmh) {
    return {
      ok: false,
      code: 'impossible_jump',
      message: `implied speed ${speedKmh.toFixed(1)} km/h (${Math.round(distanceM)} m in ${Math.round(elapsedMs / 1000)} s since ${previous.observedAt.toISOString()}) exceeds the limit of ${limitKmh} km/h`,
      speedKmh,
      limitKmh,
      distanceM,
      elapsedMs,
    };
  }
  return { ok: true, kind: 'accept' };
}
