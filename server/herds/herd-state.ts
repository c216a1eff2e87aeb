/**
 * The state of one pledged herd at a moment: how many pledged animals are where they should be,
 * what the farm's cameras count, and a reconciliation against the pledged head count with a reason
 * for every difference. The database does the selection (the same SQL on TimescaleDB and PGlite:
 * `lateral ... limit 1` on the `(tag_code, observed_at)` key, no TimescaleDB-only functions); the
 * geometry runs here with `geo/`.
 *
 * Rules (issue 5, "Herd state" and "Liveness per device"):
 * - A tag is **pledged** at `at` when an `ear_tags` row binds it to the herd with
 *   `bound_at <= at` and (`unbound_at` null or `> at`).
 * - A **valid fix** is a stored reading with `observed_at <= at` and not at (0, 0). Readings after
 *   `at` are ignored, so the state can be asked for any past moment.
 * - A tag's fix is **fresh** when `at - freshnessMs < observed_at <= at`.
 * - The geofence is the farm boundary. A fresh fix **counts as inside** when the point is in the
 *   polygon (on the boundary counts as in) or within `marginM` metres outside it (GPS error
 *   tolerance); such fixes are also listed in `withinMargin` so nothing is hidden. Only the tag's
 *   latest fix counts, whichever farm's gateway reported it.
 * - **headCount** = distinct pledged tags whose latest fix is fresh and counts as inside.
 * - **missing**: pledged, no fresh fix. **outside**: latest fix fresh, outside by more than
 *   `marginM` (distance in m and position). **silent**: the last fix (ever, up to `at`) is older
 *   than the silence timeout, or there is none; a silent tag is usually also missing.
 * - The **silence timeout** is the herd's `alert_rule_settings` row (rule `tag_silent`, scope
 *   `herd`, params `{"silenceMs": n}`, n > 0), else `options.silenceMs`, else
 *   {@link DEFAULT_SILENCE_MS}.
 * - **unpledgedSeen**: tags with a fresh fix reported by this farm's gateways that are not pledged in
 *   this herd at `at`.
 * - **doublePledged**: tags pledged here that are also pledged at `at` on another herd (any farm),
 *   with the farms whose gateways reported them within the freshness window; `reportedFromTwoFarms`
 *   when those are two or more.
 * - **Liveness** (per pledged tag, from its latest fresh reading that carries the value):
 *   battery low when `batteryPct < batteryLowPct`; temperature out of range when `temperatureC`
 *   is outside `[temperatureMinC, temperatureMaxC]` (bounds inclusive as normal).
 * - **cameras**: for each camera of the farm, per zone (the count's zone, else the camera's), the
 *   latest count of the herd's species within the freshness window.
 */
import {
  distanceToBoundaryM,
  isPointInPolygon,
  type MultiPolygon,
  type Polygon,
} from '../../geo/index.ts';
import type { Queryable } from '../db/storage.ts';
import { InvalidInputError, NotFoundError } from '../errors.ts';

/** Freshness window when the caller gives none: 1 h. */
export const DEFAULT_FRESHNESS_MS = 60 * 60 * 1000;
/** Geofence tolerance when the caller gives none: 10 m (consumer GNSS error). */
export const DEFAULT_MARGIN_M = 10;
/** Silence timeout when neither the herd nor the caller sets one: 6 h. */
export const DEFAULT_SILENCE_MS = 6 * 60 * 60 * 1000;
/** Battery below this percentage is low. */
export const DEFAULT_BATTERY_LOW_PCT = 15;
/**
 * Normal body temperature range for cattle in °C (rectal about 38.0-39.3; widened for sensor
 * error and for the lower reading of an ear-tag sensor). Tune per herd and species.
 */
export const DEFAULT_TEMPERATURE_RANGE_C = { minC: 37.5, maxC: 40.5 } as const;

export interface HerdStateOptions {
  /** The moment the state is for. */
  readonly at: Date;
  /** How old a fix may be and still count, in ms (> 0). */
  readonly freshnessMs: number;
  /** A fix at most this far outside the geofence, in metres (>= 0), still counts as inside. */
  readonly marginM: number;
  /** Silence timeout in ms when the herd has no `tag_silent` setting. */
  readonly silenceMs?: number;
  /** Battery percentage below which a tag's battery is low. Default 15. */
  readonly batteryLowPct?: number;
  /** Lowest normal temperature in °C. Default 37.5. */
  readonly temperatureMinC?: number;
  /** Highest normal temperature in °C. Default 40.5. */
  readonly temperatureMaxC?: number;
}

export interface Fix {
  readonly observedAt: string;
  readonly lng: number;
  readonly lat: number;
  /** The farm whose gateway reported the fix. */
  readonly reportingFarmId: string;
}

export interface OtherPledge {
  readonly herdId: string;
  readonly herdCode: string;
  readonly farmId: string;
  readonly branchId: string;
}

export interface HerdState {
  readonly herdId: string;
  readonly herdCode: string;
  readonly farmId: string;
  readonly branchId: string;
  readonly species: string;
  readonly at: string;
  readonly freshnessMs: number;
  readonly marginM: number;
  readonly silenceMs: number;
  readonly silenceSource: 'herd' | 'default';
  readonly pledgedHeadCount: number;
  /** Tags bound to the herd at `at`. */
  readonly taggedCount: number;
  readonly headCount: number;
  /** `pledgedHeadCount - headCount`, at least 0. */
  readonly shortfall: number;
  readonly cameras: ReadonlyArray<{
    readonly cameraId: string;
    readonly cameraCode: string;
    readonly zones: ReadonlyArray<{
      readonly zone: string | null;
      readonly headCount: number;
      readonly confidence: number | null;
      readonly observedAt: string;
    }>;
  }>;
  readonly reconciliation: {
    readonly missing: ReadonlyArray<{ tagCode: string; lastSeenAt: string | null }>;
    readonly outside: ReadonlyArray<Fix & { tagCode: string; distanceM: number }>;
    readonly withinMargin: ReadonlyArray<Fix & { tagCode: string; distanceM: number }>;
    readonly silent: ReadonlyArray<{
      tagCode: string;
      lastSeenAt: string | null;
      silentForMs: number | null;
    }>;
    readonly unpledgedSeen: ReadonlyArray<Fix & { tagCode: string }>;
    readonly doublePledged: ReadonlyArray<{
      tagCode: string;
      otherPledges: OtherPledge[];
      reportingFarmIds: string[];
      reportedFromTwoFarms: boolean;
    }>;
  };
  readonly liveness: {
    readonly batteryLowPct: number;
    readonly temperatureMinC: number;
    readonly temperatureMaxC: number;
    readonly batteryLow: ReadonlyArray<{ tagCode: string; batteryPct: number; observedAt: string }>;
    readonly temperatureOutOfRange: ReadonlyArray<{
      tagCode: string;
      temperatureC: number;
      observedAt: string;
    }>;
  };
}

interface HerdRow {
  id: string;
  code: string;
  farm_id: string;
  branch_id: string;
  species: string;
  pledged_head_count: number;
  boundary: Polygon | MultiPolygon;
  herd_silence_ms: number | null;
}

interface PledgedRow {
  tag_code: string;
  fix_at: Date | null;
  lat: number | null;
  lon: number | null;
  fix_farm_id: string | null;
  battery_pct: number | null;
  battery_at: Date | null;
  temperature_c: number | null;
  temperature_at: Date | null;
}

/**
 * Computes the herd's state at `options.at`; throws `NotFoundError` for an unknown herd and
 * `InvalidInputError` for bad options. Branch visibility is the caller's business.
 *
 * @example
 * const state = await computeHerdState(db, herdId, { at: new Date(), freshnessMs: 3_600_000, marginM: 10 });
 * state.headCount; // pledged tags with a fresh fix inside the farm's geofence
 */
export async function computeHerdState(
  db: Queryable,
  herdId: string,
  options: HerdStateOptions,
): Promise<HerdState> {
  const opts = checkOptions(options);
  const at = opts.at;
  const since = new Date(at.getTime() - opts.freshnessMs);

  const herdRows = await db.query<HerdRow>(
    `select h.id, h.code, h.farm_id, b.branch_id, h.species, h.pledged_head_count, f.boundary,
            (select case when jsonb_typeof(s.params -> 'silenceMs') = 'number'
                         then (s.params ->> 'silenceMs')::double precision end
               from alert_rule_settings s
              where s.rule = 'tag_silent' and s.scope_type = 'herd' and s.scope_id = h.id) as herd_silence_ms
       from herds h
       join farms f on f.id = h.farm_id
       join borrowers b on b.id = f.borrower_id
      where h.id = $1`,
    [herdId],
  );
  const herd = herdRows.rows[0];
  if (herd === undefined) throw new NotFoundError('herd', herdId);
  const herdSilenceMs =
    herd.herd_silence_ms !== null && Number(herd.herd_silence_ms) > 0
      ? Number(herd.herd_silence_ms)
      : null;
  const silenceMs = herdSilenceMs ?? opts.silenceMs;

  // Each pledged tag with its last valid fix up to `at`, and its latest fresh battery and
  // temperature values: one index probe per tag on the (tag_code, observed_at) key.
  const pledged = await db.query<PledgedRow>(
    `with pledged as (
       select distinct e.tag_code from ear_tags e
        where e.herd_id = $1 and e.bound_at <= $2 and (e.unbound_at is null or e.unbound_at > $2))
     select p.tag_code, fx.observed_at as fix_at, fx.lat, fx.lon, fx.farm_id as fix_farm_id,
            bt.battery_pct, bt.observed_at as battery_at,
            tp.temperature_c, tp.observed_at as temperature_at
       from pledged p
       left join lateral (
         select r.observed_at, r.lat, r.lon, r.farm_id from tag_readings r
          where r.tag_code = p.tag_code and r.observed_at <= $2 and not (r.lat = 0 and r.lon = 0)
          order by r.observed_at desc limit 1) fx on true
       left join lateral (
         select r.battery_pct, r.observed_at from tag_readings r
          where r.tag_code = p.tag_code and r.observed_at <= $2 and r.observed_at > $3
            and r.battery_pct is not null
          order by r.observed_at desc limit 1) bt on true
       left join lateral (
         select r.temperature_c, r.observed_at from tag_readings r
          where r.tag_code = p.tag_code and r.observed_at <= $2 and r.observed_at > $3
            and r.temperature_c is not null
          order by r.observed_at desc limit 1) tp on true
      order by p.tag_code`,
    [herd.id, at, since],
  );

  // Fresh fixes reported by this farm's gateways of tags not pledged in this herd.
  const unpledged = await db.query<{
    tag_code: string;
    observed_at: Date;
    lat: number;
    lon: number;
    farm_id: string;
  }>(
    `select distinct on (r.tag_code) r.tag_code, r.observed_at, r.lat, r.lon, r.farm_id
       from tag_readings r
      where r.farm_id = $1 and r.observed_at <= $2 and r.observed_at > $3
        and not (r.lat = 0 and r.lon = 0)
        and not exists (
          select 1 from ear_tags e
           where e.herd_id = $4 and e.tag_code = r.tag_code
             and e.bound_at <= $2 and (e.unbound_at is null or e.unbound_at > $2))
      order by r.tag_code, r.observed_at desc`,
    [herd.farm_id, at, since, herd.id],
  );

  // Tags pledged here and on another herd at `at`, with the farms that reported them lately.
  const doubles = await db.query<{
    tag_code: string;
    herd_id: string;
    herd_code: string;
    farm_id: string;
    branch_id: string;
    reporting_farm_ids: string[] | null;
  }>(
    `select e.tag_code, h2.id as herd_id, h2.code as herd_code, h2.farm_id, b2.branch_id,
            (select array_agg(distinct r.farm_id::text) from tag_readings r
              where r.tag_code = e.tag_code and r.observed_at <= $2 and r.observed_at > $3) as reporting_farm_ids
       from ear_tags e
       join ear_tags e2 on e2.tag_code = e.tag_code and e2.herd_id <> e.herd_id
                       and e2.bound_at <= $2 and (e2.unbound_at is null or e2.unbound_at > $2)
       join herds h2 on h2.id = e2.herd_id
       join farms f2 on f2.id = h2.farm_id
       join borrowers b2 on b2.id = f2.borrower_id
      where e.herd_id = $1 and e.bound_at <= $2 and (e.unbound_at is null or e.unbound_at > $2)
      order by e.tag_code, h2.code`,
    [herd.id, at, since],
  );

  const cameraRows = await db.query<{
    camera_id: string;
    camera_code: string;
    zone: string | null;
    head_count: number;
    confidence: number | null;
    observed_at: Date;
  }>(
    `select distinct on (cc.camera_id, coalesce(cc.zone, c.zone))
            cc.camera_id, c.code as camera_code, coalesce(cc.zone, c.zone) as zone, cc.head_count,
            cc.confidence, cc.observed_at
       from camera_counts cc
       join cameras c on c.id = cc.camera_id
      where cc.farm_id = $1 and cc.species = $2 and cc.observed_at <= $3 and cc.observed_at > $4
      order by cc.camera_id, coalesce(cc.zone, c.zone), cc.observed_at desc`,
    [herd.farm_id, herd.species, at, since],
  );

  const missing: Array<{ tagCode: string; lastSeenAt: string | null }> = [];
  const outside: Array<Fix & { tagCode: string; distanceM: number }> = [];
  const withinMargin: Array<Fix & { tagCode: string; distanceM: number }> = [];
  const silent: Array<{ tagCode: string; lastSeenAt: string | null; silentForMs: number | null }> =
    [];
  const batteryLow: Array<{ tagCode: string; batteryPct: number; observedAt: string }> = [];
  const temperatureOutOfRange: Array<{
    tagCode: string;
    temperatureC: number;
    observedAt: string;
  }> = [];
  let headCount = 0;

  for (const row of pledged.rows) {
    const tagCode = row.tag_code;
    const fixAt = row.fix_at;
    const ageMs = fixAt === null ? null : at.getTime() - fixAt.getTime();
    if (ageMs === null || ageMs > silenceMs) {
      silent.push({ tagCode, lastSeenAt: fixAt?.toISOString() ?? null, silentForMs: ageMs });
    }
    if (
      fixAt === null ||
      ageMs === null ||
      ageMs >= opts.freshnessMs ||
      row.lat === null ||
      row.lon === null
    ) {
      missing.push({ tagCode, lastSeenAt: fixAt?.toISOString() ?? null });
    } else {
      const lng = Number(row.lon);
      const lat = Number(row.lat);
      const fix: Fix = {
        observedAt: fixAt.toISOString(),
        lng,
        lat,
        reportingFarmId: String(row.fix_farm_id),
      };
      if (isPointInPolygon([lng, lat], herd.boundary)) {
        headCount += 1;
      } else {
        const distanceM = roundM(distanceToBoundaryM([lng, lat], herd.boundary));
        if (distanceM <= opts.marginM) {
          headCount += 1;
          withinMargin.push({ tagCode, ...fix, distanceM });
        } else {
          outside.push({ tagCode, ...fix, distanceM });
        }
      }
    }
    if (row.battery_pct !== null && row.battery_at !== null) {
      const batteryPct = Number(row.battery_pct);
      if (batteryPct < opts.batteryLowPct) {
        batteryLow.push({ tagCode, batteryPct, observedAt: row.battery_at.toISOString() });
      }
    }
    if (row.temperature_c !== null && row.temperature_at !== null) {
      const temperatureC = Number(row.temperature_c);
      if (temperatureC < opts.temperatureMinC || temperatureC > opts.temperatureMaxC) {
        temperatureOutOfRange.push({
          tagCode,
          temperatureC,
          observedAt: row.temperature_at.toISOString(),
        });
      }
    }
  }

  const doublePledged = new Map<
    string,
    {
      tagCode: string;
      otherPledges: OtherPledge[];
      reportingFarmIds: string[];
      reportedFromTwoFarms: boolean;
    }
  >();
  for (const row of doubles.rows) {
    const reportingFarmIds = [...(row.reporting_farm_ids ?? [])].sort();
    const entry = doublePledged.get(row.tag_code) ?? {
      tagCode: row.tag_code,
      otherPledges: [],
      reportingFarmIds,
      reportedFromTwoFarms: reportingFarmIds.length >= 2,
    };
    entry.otherPledges.push({
      herdId: row.herd_id,
      herdCode: row.herd_code,
      farmId: row.farm_id,
      branchId: row.branch_id,
    });
    doublePledged.set(row.tag_code, entry);
  }

  const cameras = new Map<
    string,
    {
      cameraId: string;
      cameraCode: string;
      zones: Array<{
        zone: string | null;
        headCount: number;
        confidence: number | null;
        observedAt: string;
      }>;
    }
  >();
  for (const row of cameraRows.rows) {
    const camera = cameras.get(row.camera_id) ?? {
      cameraId: row.camera_id,
      cameraCode: row.camera_code,
      zones: [],
    };
    camera.zones.push({
      zone: row.zone,
      headCount: Number(row.head_count),
      confidence: row.confidence === null ? null : Number(row.confidence),
      observedAt: row.observed_at.toISOString(),
    });
    cameras.set(row.camera_id, camera);
  }

  const pledgedHeadCount = Number(herd.pledged_head_count);
  return {
    herdId: herd.id,
    herdCode: herd.code,
    farmId: herd.farm_id,
    branchId: herd.branch_id,
    species: herd.species,
    at: at.toISOString(),
    freshnessMs: opts.freshnessMs,
    marginM: opts.marginM,
    silenceMs,
    silenceSource: herdSilenceMs === null ? 'default' : 'herd',
    pledgedHeadCount,
    taggedCount: pledged.rows.length,
    headCount,
    shortfall: Math.max(0, pledgedHeadCount - headCount),
    cameras: [...cameras.values()].sort((a, b) => a.cameraCode.localeCompare(b.cameraCode)),
    reconciliation: {
      missing,
      outside,
      withinMargin,
      silent,
      unpledgedSeen: unpledged.rows.map((r) => ({
        tagCode: r.tag_code,
        observedAt: r.observed_at.toISOString(),
        lng: Number(r.lon),
        lat: Number(r.lat),
        reportingFarmId: r.farm_id,
      })),
      doublePledged: [...doublePledged.values()],
    },
    liveness: {
      batteryLowPct: opts.batteryLowPct,
      temperatureMinC: opts.temperatureMinC,
      temperatureMaxC: opts.temperatureMaxC,
      batteryLow,
      temperatureOutOfRange,
    },
  };
}

type CheckedOptions = Required<HerdStateOptions>;

function checkOptions(options: HerdStateOptions): CheckedOptions {
  const {
    at,
    freshnessMs,
    marginM,
    silenceMs = DEFAULT_SILENCE_MS,
    batteryLowPct = DEFAULT_BATTERY_LOW_PCT,
    temperatureMinC = DEFAULT_TEMPERATURE_RANGE_C.minC,
    temperatureMaxC = DEFAULT_TEMPERATURE_RANGE_C.maxC,
  } = options;
  const problems: string[] = [];
  if (!(at instanceof Date) || Number.isNaN(at.getTime()))
    problems.push(`at ${String(at)} is not a date`);
  if (!Number.isFinite(freshnessMs) || freshnessMs <= 0)
    problems.push(`freshnessMs ${freshnessMs} must be > 0`);
  if (!Number.isFinite(marginM) || marginM < 0) problems.push(`marginM ${marginM} must be >= 0`);
  if (!Number.isFinite(silenceMs) || silenceMs <= 0)
    problems.push(`silenceMs ${silenceMs} must be > 0`);
  if (!Number.isFinite(batteryLowPct) || batteryLowPct < 0 || batteryLowPct > 100)
    problems.push(`batteryLowPct ${batteryLowPct} out of range [0, 100]`);
  if (!(temperatureMinC < temperatureMaxC))
    problems.push(
      `temperatureMinC ${temperatureMinC} must be below temperatureMaxC ${temperatureMaxC}`,
    );
  if (problems.length > 0) throw new InvalidInputError(problems.join('; '));
  return { at, freshnessMs, marginM, silenceMs, batteryLowPct, temperatureMinC, temperatureMaxC };
}

/** Distances to the centimetre: more digits would be noise from the GNSS fix anyway. */
function roundM(m: number): number {
  return Math.round(m * 100) / 100;
}
