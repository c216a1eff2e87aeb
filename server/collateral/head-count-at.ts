/**
 * Counted head of many herds at many moments, in one query: the herd-state definition
 * (`server/herds/herd-state.ts`) applied in bulk, for coverage series and the alert sweep.
 *
 * - A tag is **pledged** at `at` when an `ear_tags` row binds it to the herd with
 *   `bound_at <= at` and (`unbound_at` null or `> at`).
 * - Only the tag's latest valid fix (`observed_at <= at`, not at (0, 0)) counts, whichever farm's
 *   gateway reported it. It is **fresh** when `at - freshnessMs < observed_at <= at`.
 * - A fresh fix **counts as inside** when the point is in the farm boundary (on the boundary is
 *   in) or at most `marginM` metres outside it.
 * - **counted** = distinct pledged tags whose latest fix is fresh and counts as inside;
 *   **missingTags** = the other pledged tags, sorted.
 */
import {
  distanceToBoundaryM,
  isPointInPolygon,
  type LngLat,
  type MultiPolygon,
  type Polygon,
} from '../../geo/index.ts';
import type { Queryable } from '../db/storage.ts';
import { DEFAULT_FRESHNESS_MS, DEFAULT_MARGIN_M } from '../herds/index.ts';

export interface HeadCountOptions {
  /** How old a fix may be and still count, in ms. Default {@link DEFAULT_FRESHNESS_MS} (1 h). */
  readonly freshnessMs?: number;
  /** A fix at most this far outside the geofence still counts, in m. Default 10. */
  readonly marginM?: number;
}

export interface HeadCount {
  readonly counted: number;
  /** Pledged tags not counted, sorted. */
  readonly missingTags: string[];
}

/**
 * Whether a fix counts as inside the farm's geofence: in the polygon (boundary included) or
 * within `marginM` metres of it, the tolerance for consumer GNSS error.
 */
export function isFixInsideGeofence(
  point: LngLat,
  boundary: Polygon | MultiPolygon,
  marginM: number,
): boolean {
  return (
    isPointInPolygon(point, boundary) ||
    Math.round(distanceToBoundaryM(point, boundary) * 100) / 100 <= marginM
  );
}

/**
 * Head counts per moment (index into `moments`) and herd id. Unknown herd ids are absent.
 *
 * @example
 * const counts = await countHeadsAt(db, [herdId], [new Date()]);
 * counts[0]?.get(herdId)?.counted; // pledged tags with a fresh fix inside the farm
 */
export async function countHeadsAt(
  db: Queryable,
  herdIds: readonly string[],
  moments: readonly Date[],
  options: HeadCountOptions = {},
): Promise<Array<Map<string, HeadCount>>> {
  const freshnessMs = options.freshnessMs ?? DEFAULT_FRESHNESS_MS;
  const marginM = options.marginM ?? DEFAULT_MARGIN_M;
  const result = moments.map(() => new Map<string, HeadCount>());
  if (herdIds.length === 0 || moments.length === 0) return result;

  const herds = await db.query<{ id: string; boundary: Polygon | MultiPolygon }>(
    `select h.id, f.boundary from herds h join farms f on f.id = h.farm_id
      where h.id = any($1::uuid[])`,
    [herdIds],
  );
  const boundaryOf = new Map(herds.rows.map((h) => [h.id, h.boundary]));

  // One index probe per (pledged tag, moment) on the (tag_code, observed_at) key.
  const fixes = await db.query<{
    moment: number;
    herd_id: string;
    tag_code: string;
    fix_at: Date | null;
    lat: number | null;
    lon: number | null;
  }>(
    `with moments as (
       select m.at, m.idx::int - 1 as moment
         from unnest($2::timestamptz[]) with ordinality as m(at, idx)),
     pledged as (
       select distinct m.moment, m.at, e.herd_id, e.tag_code
         from moments m
         join ear_tags e on e.herd_id = any($1::uuid[]) and e.bound_at <= m.at
                        and (e.unbound_at is null or e.unbound_at > m.at))
     select p.moment, p.herd_id, p.tag_code, fx.observed_at as fix_at, fx.lat, fx.lon
       from pledged p
       left join lateral (
         select r.observed_at, r.lat, r.lon from tag_readings r
          where r.tag_code = p.tag_code and r.observed_at <= p.at and not (r.lat = 0 and r.lon = 0)
          order by r.observed_at desc limit 1) fx on true`,
    [herdIds, moments],
  );

  const tally = moments.map(() => new Map<string, { counted: number; missing: string[] }>());
  for (const row of fixes.rows) {
    const at = moments[row.moment];
    const byHerd = tally[row.moment];
    const boundary = boundaryOf.get(row.herd_id);
    if (at === undefined || byHerd === undefined || boundary === undefined) continue;
    const entry = byHerd.get(row.herd_id) ?? { counted: 0, missing: [] };
    byHerd.set(row.herd_id, entry);
    const fresh =
      row.fix_at !== null &&
      row.lat !== null &&
      row.lon !== null &&
      at.getTime() - row.fix_at.getTime() < freshnessMs;
    if (fresh && isFixInsideGeofence([Number(row.lon), Number(row.lat)], boundary, marginM)) {
      entry.counted += 1;
    } else {
      entry.missing.push(row.tag_code);
    }
  }
  tally.forEach((byHerd, i) => {
    for (const herdId of boundaryOf.keys()) {
      const entry = byHerd.get(herdId) ?? { counted: 0, missing: [] };
      result[i]?.set(herdId, { counted: entry.counted, missingTags: entry.missing.sort() });
    }
  });
  return result;
}
