/**
 * Gathers everything a post-loan report says from the database, as one {@link ReportData}: the
 * loan, its borrower, branch and officer; the farms, parcels and herds pledged to it; the
 * collateral valued at the end of the period and its coverage over the period (from the
 * collateral module, so the report says what the collateral API says); each parcel's NDVI and
 * scenes; each herd's counts, missing tags and latest positions; and every alert of the loan
 * raised in the period with its history.
 *
 * Reads only. Run it in one repeatable-read transaction (see report-service.ts) so every part
 * sees the same moment of the database.
 */
import { randomUUID } from 'node:crypto';
import type { LngLat, MultiPolygon, Polygon } from '../../geo/index.ts';
import { loadRuleSettings, RuleSettings } from '../alerts/index.ts';
import { coverageSeries, isFixInsideGeofence, loanCollateralAt } from '../collateral/index.ts';
import type { CoveragePoint, LoanCollateral } from '../collateral/types.ts';
import type { Queryable } from '../db/storage.ts';
import { NotFoundError } from '../errors.ts';
import { DEFAULT_FRESHNESS_MS, DEFAULT_MARGIN_M } from '../herds/index.ts';
import {
  REPORT_SCHEMA_VERSION,
  type ReportAlert,
  type ReportData,
  type ReportHerd,
  type ReportParcel,
} from './types.ts';

export interface AssembleReportInput {
  readonly loanId: string;
  /** Inclusive. */
  readonly from: Date;
  /** Exclusive; the collateral is valued at this moment. */
  readonly to: Date;
  /** Who asked: "display name <email>", or the command line of a batch run. */
  readonly generatedBy: string;
  /** The moment of generation (generatedAt). */
  readonly now: Date;
}

const DAY_MS = 24 * 60 * 60 * 1000;
/** Points of the coverage series: one a day, never more than this. */
export const MAX_SERIES_POINTS = 400;

/**
 * How many points the coverage series of a period gets: one a day (both ends included), at
 * least 2 and at most {@link MAX_SERIES_POINTS}.
 *
 * @example seriesPointsFor(from, to) // 91 for a 90-day period
 */
export function seriesPointsFor(from: Date, to: Date): number {
  const days = Math.ceil((to.getTime() - from.getTime()) / DAY_MS);
  return Math.min(MAX_SERIES_POINTS, Math.max(2, days + 1));
}

export async function assembleReport(
  db: Queryable,
  input: AssembleReportInput,
): Promise<ReportData> {
  const { loanId, from, to } = input;
  const loan = await readLoan(db, loanId);
  const parcelRows = (await readParcels(db, loanId)).filter((p) => seasonOverlaps(p, from, to));
  const herdRows = await readHerds(db, loanId);
  const farmIds = [...new Set([...parcelRows, ...herdRows].map((x) => x.farm_id))];
  const farms = await readFarms(db, farmIds);

  const atEnd = await loanCollateralAt(db, loanId, to);
  const series = await coverageSeries(db, loanId, from, to, { points: seriesPointsFor(from, to) });

  const times = new TimeRange();
  const modelVersions = new Set<string>();
  const parcels = await assembleParcels(db, parcelRows, atEnd, { from, to }, times, modelVersions);
  const herds = await assembleHerds(db, herdRows, farms, atEnd, series.points, { from, to }, times);
  const alerts = await readAlerts(db, loanId, farmIds, from, to);
  for (const alert of alerts) times.add(alert.raisedAt);
  const thresholds = await coverageThresholds(db, loan);

  return {
    schemaVersion: REPORT_SCHEMA_VERSION,
    reportId: randomUUID(),
    generatedAt: input.now.toISOString(),
    generatedBy: input.generatedBy,
    period: { from: from.toISOString(), to: to.toISOString() },
    dataRange: times.range(),
    modelVersions: [...modelVersions].sort(),
    loan: {
      id: loan.id,
      reference: loan.reference,
      status: loan.status,
      amount: Number(loan.amount),
      currency: loan.currency.trim(),
      disbursedOn: loan.disbursed_on,
      maturesOn: loan.matures_on,
      officer:
        loan.officer_name === null || loan.officer_email === null
          ? null
          : { name: loan.officer_name, email: loan.officer_email },
    },
    borrower: {
      id: loan.borrower_id,
      ref: loan.borrower_ref,
      name: loan.borrower_name,
      registrationNo: loan.registration_no,
    },
    branch: { code: loan.branch_code, name: loan.branch_name },
    farms: farms.map((f) => ({ id: f.id, code: f.code, name: f.name, boundary: f.boundary })),
    parcels,
    herds,
    alerts,
    coverage: { atEnd, series, thresholds },
  };
}

// ---------------------------------------------------------------------------------------------
// Loan, parcels, herds, farms

interface LoanRow {
  id: string;
  reference: string;
  status: string;
  amount: string;
  currency: string;
  disbursed_on: string | null;
  matures_on: string | null;
  officer_name: string | null;
  officer_email: string | null;
  branch_id: string;
  borrower_id: string;
  borrower_ref: string;
  borrower_name: string;
  registration_no: string | null;
  branch_code: string;
  branch_name: string;
}

async function readLoan(db: Queryable, loanId: string): Promise<LoanRow> {
  const { rows } = await db.query<LoanRow>(
    `select l.id, l.reference, l.status, l.amount, l.currency, l.disbursed_on, l.matures_on,
            u.display_name as officer_name, u.email as officer_email,
            l.branch_id, b.id as borrower_id, b.ref as borrower_ref, b.name as borrower_name, b.registration_no,
            br.code as branch_code, br.name as branch_name
       from loans l
       join borrowers b on b.id = l.borrower_id
       join branches br on br.id = l.branch_id
       left join users u on u.id = l.officer_id
      where l.id = $1`,
    [loanId],
  );
  const row = rows[0];
  if (row === undefined) throw new NotFoundError('loan', loanId);
  return row;
}

interface ParcelRow {
  id: string;
  code: string;
  farm_id: string;
  farm_code: string;
  geometry: Polygon | MultiPolygon;
  area_m2: number;
  declared_crop_code: number | null;
  declared_crop_name: string | null;
  declared_area_m2: number | null;
  season_start: string | null;
  season_end: string | null;
}

async function readParcels(db: Queryable, loanId: string): Promise<ParcelRow[]> {
  const { rows } = await db.query<ParcelRow>(
    `select p.id, p.code, p.farm_id, f.code as farm_code, p.geometry, p.area_m2,
            p.declared_crop_code, ct.name as declared_crop_name, p.declared_area_m2,
            p.season_start, p.season_end
       from parcels p
       join farms f on f.id = p.farm_id
       left join crop_types ct on ct.code = p.declared_crop_code
      where p.loan_id = $1
      order by p.code, p.season, p.id`,
    [loanId],
  );
  return rows;
}

/** Whether the parcel's season (dates inclusive; an open end is unbounded) meets [from, to). */
function seasonOverlaps(parcel: ParcelRow, from: Date, to: Date): boolean {
  const startMs = parcel.season_start === null ? -Infinity : Date.parse(parcel.season_start);
  const endMs = parcel.season_end === null ? Infinity : Date.parse(parcel.season_end) + DAY_MS;
  return startMs < to.getTime() && endMs > from.getTime();
}

interface HerdRow {
  id: string;
  code: string;
  farm_id: string;
  farm_code: string;
  species: string;
  pledged_head_count: number;
}

async function readHerds(db: Queryable, loanId: string): Promise<HerdRow[]> {
  const { rows } = await db.query<HerdRow>(
    `select h.id, h.code, h.farm_id, f.code as farm_code, h.species, h.pledged_head_count
       from herds h join farms f on f.id = h.farm_id
      where h.loan_id = $1
      order by h.code`,
    [loanId],
  );
  return rows;
}

interface FarmRow {
  id: string;
  code: string;
  name: string;
  boundary: Polygon | MultiPolygon;
}

async function readFarms(db: Queryable, farmIds: readonly string[]): Promise<FarmRow[]> {
  if (farmIds.length === 0) return [];
  const { rows } = await db.query<FarmRow>(
    'select id, code, name, boundary from farms where id = any($1::uuid[]) order by code',
    [farmIds],
  );
  return rows;
}

// ---------------------------------------------------------------------------------------------
// Parcels: observations in the period, observed state at its end

interface ObservationRow {
  parcel_id: string;
  observed_at: Date;
  scene_id: string;
  clear_pixels: number;
  total_pixels: number;
  ndvi_mean: number | null;
  model_version: string | null;
}

async function assembleParcels(
  db: Queryable,
  parcelRows: readonly ParcelRow[],
  atEnd: LoanCollateral,
  period: { from: Date; to: Date },
  times: TimeRange,
  modelVersions: Set<string>,
): Promise<ReportParcel[]> {
  const observations =
    parcelRows.length === 0
      ? []
      : (
          await db.query<ObservationRow>(
            `select parcel_id, observed_at, scene_id, clear_pixels, total_pixels, ndvi_mean,
                    model_version
               from parcel_observations
              where parcel_id = any($1::uuid[]) and observed_at >= $2 and observed_at < $3
              order by parcel_id, observed_at, scene_id`,
            [parcelRows.map((p) => p.id), period.from, period.to],
          )
        ).rows;
  const byParcel = new Map<string, ObservationRow[]>();
  for (const o of observations) {
    const list = byParcel.get(o.parcel_id) ?? [];
    list.push(o);
    byParcel.set(o.parcel_id, list);
  }
  const valued = new Map(atEnd.parcels.map((p) => [p.parcelId, p]));

  return parcelRows.map((p): ReportParcel => {
    const scenes = byParcel.get(p.id) ?? [];
    for (const s of scenes) {
      times.add(s.observed_at);
      if (s.model_version !== null) modelVersions.add(s.model_version);
    }
    const atEndParcel = valued.get(p.id);
    const latest = atEndParcel?.latestObservation ?? null;
    if (latest !== null) {
      times.add(latest.observedAt);
      if (latest.modelVersion !== null) modelVersions.add(latest.modelVersion);
    }
    return {
      id: p.id,
      code: p.code,
      farmCode: p.farm_code,
      geometry: p.geometry,
      areaM2: Number(p.area_m2),
      declaredCropCode: p.declared_crop_code,
      declaredCropName: p.declared_crop_name,
      declaredAreaM2: p.declared_area_m2 === null ? null : Number(p.declared_area_m2),
      observedCropCode: latest?.predictedCropCode ?? null,
      observedCropName: latest?.predictedCropName ?? null,
      observedConfidence: latest?.predictedConfidence ?? null,
      plantedAreaM2: latest?.plantedAreaM2 ?? null,
      status: atEndParcel?.status ?? null,
      statusReason: atEndParcel?.statusReason ?? null,
      // A clouded scene is stored with clear_pixels 0 and no NDVI: a gap, never a zero.
      ndviSeries: scenes
        .filter((s) => s.clear_pixels > 0 && s.ndvi_mean !== null)
        .map((s) => ({ date: s.observed_at.toISOString(), ndvi: Number(s.ndvi_mean) })),
      scenes: scenes.map((s) => ({
        sceneId: s.scene_id,
        observedAt: s.observed_at.toISOString(),
        clearPixels: s.clear_pixels,
        totalPixels: s.total_pixels,
        modelVersion: s.model_version,
      })),
    };
  });
}

// ---------------------------------------------------------------------------------------------
// Herds: counts over the period, missing tags at its end, each pledged tag's latest fix

interface LatestFixRow {
  herd_id: string;
  tag_code: string;
  observed_at: Date;
  lon: number;
  lat: number;
}

async function assembleHerds(
  db: Queryable,
  herdRows: readonly HerdRow[],
  farms: readonly FarmRow[],
  atEnd: LoanCollateral,
  points: readonly CoveragePoint[],
  period: { from: Date; to: Date },
  times: TimeRange,
): Promise<ReportHerd[]> {
  if (herdRows.length === 0) return [];
  const herdIds = herdRows.map((h) => h.id);
  // The latest valid fix of each tag pledged to the herd at some moment of the period, taken
  // while it was pledged there. (0,0) is a GPS failure, not a position.
  const fixes = await db.query<LatestFixRow>(
    `select e.herd_id, e.tag_code, r.observed_at, r.lon, r.lat
       from ear_tags e
       cross join lateral (
         select observed_at, lon, lat from tag_readings r
          where r.tag_code = e.tag_code
            and r.observed_at >= greatest($2::timestamptz, e.bound_at)
            and r.observed_at < least($3::timestamptz, coalesce(e.unbound_at, 'infinity'))
            and not (r.lat = 0 and r.lon = 0)
          order by r.observed_at desc limit 1) r
      where e.herd_id = any($1::uuid[])
        and e.bound_at < $3 and (e.unbound_at is null or e.unbound_at > $2)
      order by e.herd_id, e.tag_code`,
    [herdIds, period.from, period.to],
  );
  // The readings the counts may have been drawn from (a count at a moment takes the fixes of
  // the freshness window before it): their first and last time.
  const span = await db.query<{ first_at: Date | null; last_at: Date | null }>(
    `select min(r.observed_at) as first_at, max(r.observed_at) as last_at
       from tag_readings r
      where r.tag_code in (select tag_code from ear_tags where herd_id = any($1::uuid[]))
        and r.observed_at > $2 and r.observed_at <= $3`,
    [herdIds, new Date(period.from.getTime() - DEFAULT_FRESHNESS_MS), period.to],
  );
  times.add(span.rows[0]?.first_at ?? null);
  times.add(span.rows[0]?.last_at ?? null);

  const boundaryOf = new Map(farms.map((f) => [f.id, f.boundary]));
  const valued = new Map(atEnd.herds.map((h) => [h.herdId, h]));
  return herdRows.map((h): ReportHerd => {
    const counts = points.map((p) => ({ at: p.at, headCount: p.headCounts[h.id] ?? 0 }));
    const boundary = boundaryOf.get(h.farm_id);
    const positions = fixes.rows
      .filter((f) => f.herd_id === h.id)
      .map((f) => {
        const lngLat: LngLat = [Number(f.lon), Number(f.lat)];
        return {
          tagCode: f.tag_code,
          observedAt: f.observed_at.toISOString(),
          lngLat,
          // As the counts count it: in the fence or within the margin outside it.
          inside: boundary !== undefined && isFixInsideGeofence(lngLat, boundary, DEFAULT_MARGIN_M),
        };
      });
    return {
      id: h.id,
      code: h.code,
      farmCode: h.farm_code,
      species: h.species,
      pledgedHeadCount: Number(h.pledged_head_count),
      counts,
      countedAtStart: counts[0]?.headCount ?? 0,
      countedAtEnd: counts.at(-1)?.headCount ?? 0,
      minCounted: counts.length === 0 ? 0 : Math.min(...counts.map((c) => c.headCount)),
      missingTagsAtEnd: [...(valued.get(h.id)?.missingTags ?? [])].sort(),
      positions,
    };
  });
}

// ---------------------------------------------------------------------------------------------
// Alerts

/** The coverage alert's ratios for this loan, from its rule settings (as the alert engine uses). */
async function coverageThresholds(
  db: Queryable,
  loan: LoanRow,
): Promise<{ minCoverageRatio: number; criticalCoverageRatio: number }> {
  const settings = new RuleSettings(await loadRuleSettings(db));
  const params = settings.resolve<{ minCoverageRatio: number; criticalCoverageRatio: number }>(
    'collateral_coverage_below_threshold',
    { branchId: loan.branch_id, loanId: loan.id },
  );
  return {
    minCoverageRatio: params.minCoverageRatio,
    criticalCoverageRatio: params.criticalCoverageRatio,
  };
}

interface AlertRow {
  id: string;
  kind: string;
  severity: ReportAlert['severity'];
  status: ReportAlert['status'];
  title: string;
  subject_type: string;
  subject_id: string;
  raised_at: Date;
  resolved_at: Date | null;
  evidence: unknown;
}

interface EventRow {
  alert_id: string;
  at: Date;
  type: string;
  actor_kind: 'user' | 'system';
  display_name: string | null;
  comment: string | null;
}

/**
 * Every alert raised in [from, to) that belongs to the loan: carrying its id, or about the loan,
 * one of its parcels, herds or ear tags (tag alerts of a herd not pledged at raising time carry
 * no loan), or a farm, camera or gateway of its farms. Oldest first, each with its whole history
 * as of now: how it was handled matters to the report even when that came after the period.
 */
async function readAlerts(
  db: Queryable,
  loanId: string,
  farmIds: readonly string[],
  from: Date,
  to: Date,
): Promise<ReportAlert[]> {
  const { rows } = await db.query<AlertRow>(
    `select a.id, a.kind, a.severity, a.status, a.title, a.subject_type, a.subject_id,
            a.raised_at, a.resolved_at, a.evidence
       from alerts a
      where a.raised_at >= $2 and a.raised_at < $3
        and (a.loan_id = $1
          or (a.subject_type = 'loan' and a.subject_id = $1)
          or (a.subject_type = 'parcel'
              and a.subject_id in (select id from parcels where loan_id = $1))
          or (a.subject_type = 'herd'
              and a.subject_id in (select id from herds where loan_id = $1))
          or (a.subject_type = 'ear_tag'
              and a.subject_id in (select e.id from ear_tags e join herds h on h.id = e.herd_id
                                    where h.loan_id = $1))
          or (a.subject_type = 'farm' and a.subject_id = any($4::uuid[]))
          or (a.subject_type = 'camera'
              and a.subject_id in (select id from cameras where farm_id = any($4::uuid[])))
          or (a.subject_type = 'gateway'
              and a.subject_id in (select id from gateways where farm_id = any($4::uuid[]))))
      order by a.raised_at, a.id`,
    [loanId, from, to, farmIds],
  );
  if (rows.length === 0) return [];
  const events = await db.query<EventRow>(
    `select e.alert_id, e.at, e.type, e.actor_kind, u.display_name, e.comment
       from alert_events e left join users u on u.id = e.actor_user_id
      where e.alert_id = any($1::uuid[])
      order by e.alert_id, e.id`,
    [rows.map((r) => r.id)],
  );
  const eventsOf = new Map<string, ReportAlert['events'][number][]>();
  for (const e of events.rows) {
    const list = eventsOf.get(e.alert_id) ?? [];
    list.push({
      at: e.at.toISOString(),
      type: e.type,
      by: e.actor_kind === 'system' ? 'system' : (e.display_name ?? 'unknown user'),
      comment: e.comment,
    });
    eventsOf.set(e.alert_id, list);
  }
  return rows.map((a) => ({
    id: a.id,
    kind: a.kind,
    severity: a.severity,
    status: a.status,
    title: a.title,
    subjectType: a.subject_type,
    subjectId: a.subject_id,
    raisedAt: a.raised_at.toISOString(),
    resolvedAt: a.resolved_at === null ? null : a.resolved_at.toISOString(),
    evidence: a.evidence,
    events: eventsOf.get(a.id) ?? [],
  }));
}

/** The first and last of the data times met (observations, readings, alerts). */
class TimeRange {
  #first = Infinity;
  #last = -Infinity;

  add(at: Date | string | null): void {
    if (at === null) return;
    const ms = typeof at === 'string' ? Date.parse(at) : at.getTime();
    if (Number.isNaN(ms)) return;
    this.#first = Math.min(this.#first, ms);
    this.#last = Math.max(this.#last, ms);
  }

  range(): { from: string; to: string } | null {
    if (this.#first === Infinity) return null;
    return { from: new Date(this.#first).toISOString(), to: new Date(this.#last).toISOString() };
  }
}
