/**
 * A loan's collateral at a moment: each pledged parcel and herd with its state and value, the
 * balance as of that moment and the coverage ratio. The valuation rules are in `valuation.ts`,
 * the head count in `head-count-at.ts`; this file reads the database for them.
 *
 * {@link collateralOfLoans} values many loans at many moments with a fixed number of queries
 * (about ten, whatever the number of loans and moments), so a coverage series and the alert
 * sweep over all loans stay cheap. The same SQL runs on TimescaleDB and PGlite.
 *
 * The balance at `at` comes from `loan_balances` (filled by a trigger on `loans`): the row with
 * the latest `valid_from <= at`; before the first row, the first row's balance.
 */
import type { Queryable } from '../db/storage.ts';
import { InvalidInputError, NotFoundError } from '../errors.ts';
import { DEFAULT_FRESHNESS_MS } from '../herds/index.ts';
import { countHeadsAt, type HeadCountOptions } from './head-count-at.ts';
import type {
  CollateralHerd,
  CollateralParcel,
  LoanCollateral,
  ParcelObservationSummary,
} from './types.ts';
import {
  dayOf,
  isParcelInSeason,
  settingValidOn,
  totalCollateral,
  valuedAreaOf,
  valueHerd,
  valueParcel,
  type DatedSetting,
} from './valuation.ts';

export type CollateralOptions = HeadCountOptions;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

interface LoanRow {
  id: string;
  reference: string;
  branch_id: string;
  borrower_id: string;
  borrower_name: string;
  currency: string;
  balance: string;
  created_at: Date;
}

interface ParcelRow {
  id: string;
  code: string;
  loan_id: string;
  farm_id: string;
  farm_code: string;
  season: string;
  season_end: string | null;
  area_m2: number;
  declared_crop_code: number | null;
  declared_crop_name: string | null;
  declared_area_m2: number | null;
  status: string | null;
  status_reason: string | null;
  last_scene_at: Date | null;
}

interface ObservationRow {
  moment: number;
  parcel_id: string;
  observed_at: Date;
  scene_id: string;
  predicted_crop_code: number | null;
  predicted_crop_name: string | null;
  predicted_confidence: number | null;
  planted_area_m2: number | null;
  model_version: string | null;
}

interface HerdRow {
  id: string;
  code: string;
  loan_id: string;
  farm_id: string;
  farm_code: string;
  species: string;
  pledged_head_count: number;
  value_per_head: string | null;
  currency: string | null;
}

/**
 * The collateral of one loan at `at`; throws `NotFoundError` for an unknown loan. Branch
 * visibility is the caller's business.
 *
 * @example
 * const collateral = await loanCollateralAt(db, loanId, new Date());
 * collateral.coverageRatio; // e.g. 1.734
 */
export async function loanCollateralAt(
  db: Queryable,
  loanId: string,
  at: Date,
  options: CollateralOptions = {},
): Promise<LoanCollateral> {
  checkMoment('at', at);
  const collateral = (await collateralOfLoans(db, [loanId], [at], options)).get(loanId)?.[0];
  if (collateral === undefined) throw new NotFoundError('loan', loanId);
  return collateral;
}

/**
 * The collateral of each loan at each moment: loan id -> one LoanCollateral per moment, in the
 * order of `moments`. Unknown loan ids are absent from the map.
 */
export async function collateralOfLoans(
  db: Queryable,
  loanIds: readonly string[],
  moments: readonly Date[],
  options: CollateralOptions = {},
): Promise<Map<string, LoanCollateral[]>> {
  const out = new Map<string, LoanCollateral[]>();
  checkFreshness(options.freshnessMs);
  // Something that is not a uuid names no loan (and must not reach a uuid cast).
  const wanted = loanIds.filter((id) => UUID.test(id));
  if (wanted.length === 0 || moments.length === 0) return out;

  const loans = await db.query<LoanRow>(
    `select l.id, l.reference, l.branch_id, l.borrower_id, b.name as borrower_name, l.currency,
            l.balance, l.created_at
       from loans l join borrowers b on b.id = l.borrower_id
      where l.id = any($1::uuid[])`,
    [wanted],
  );
  if (loans.rows.length === 0) return out;
  const ids = loans.rows.map((l) => l.id);

  const balances = await db.query<{ loan_id: string; valid_from: Date; balance: string }>(
    `select loan_id, valid_from, balance from loan_balances
      where loan_id = any($1::uuid[]) order by loan_id, valid_from`,
    [ids],
  );
  const parcels = await db.query<ParcelRow>(
    `select p.id, p.code, p.loan_id, p.farm_id, f.code as farm_code, p.season,
            p.season_end::text as season_end, p.area_m2, p.declared_crop_code,
            ct.name as declared_crop_name, p.declared_area_m2,
            s.status, s.reason as status_reason, s.last_scene_at
       from parcels p
       join farms f on f.id = p.farm_id
       left join crop_types ct on ct.code = p.declared_crop_code
       left join parcel_satellite_status s on s.parcel_id = p.id
      where p.loan_id = any($1::uuid[])
      order by p.code, p.season`,
    [ids],
  );
  // The latest observation with a planted area at or before each moment, per parcel.
  const observations = await db.query<ObservationRow>(
    `with moments as (
       select m.at, m.idx::int - 1 as moment
         from unnest($2::timestamptz[]) with ordinality as m(at, idx))
     select m.moment, o.parcel_id, o.observed_at, o.scene_id, o.predicted_crop_code,
            ct.name as predicted_crop_name, o.predicted_confidence, o.planted_area_m2,
            o.model_version
       from moments m
       cross join unnest($1::uuid[]) as p(id)
       join lateral (
         select * from parcel_observations o
          where o.parcel_id = p.id and o.planted_area_m2 is not null and o.observed_at <= m.at
          order by o.observed_at desc, o.scene_id desc limit 1) o on true
       left join crop_types ct on ct.code = o.predicted_crop_code`,
    [parcels.rows.map((p) => p.id), moments],
  );
  const herds = await db.query<HerdRow>(
    `select h.id, h.code, h.loan_id, h.farm_id, f.code as farm_code, h.species,
            h.pledged_head_count, h.value_per_head, h.currency
       from herds h join farms f on f.id = h.farm_id
      where h.loan_id = any($1::uuid[])
      order by h.code`,
    [ids],
  );
  const settings = await readValuationSettings(db);
  const headCounts = await countHeadsAt(
    db,
    herds.rows.map((h) => h.id),
    moments,
    options,
  );

  const observationAt = new Map<string, ObservationRow>();
  for (const row of observations.rows) observationAt.set(`${row.moment}:${row.parcel_id}`, row);

  for (const loan of loans.rows) {
    const loanBalances = balances.rows.filter((b) => b.loan_id === loan.id);
    const loanParcels = parcels.rows.filter((p) => p.loan_id === loan.id);
    const loanHerds = herds.rows.filter((h) => h.loan_id === loan.id);
    out.set(
      loan.id,
      moments.map((at, moment) => {
        const day = dayOf(at);
        const balance = balanceAt(loan, loanBalances, at);
        const parcelsNow = loanParcels
          .filter((p) => isParcelInSeason(p.season_end, day))
          .map((p) =>
            parcelAt(p, observationAt.get(`${moment}:${p.id}`) ?? null, at, loan, settings),
          );
        const herdsNow = loanHerds.map((h) =>
          herdAt(h, headCounts[moment]?.get(h.id), day, loan, settings, options),
        );
        const totals = totalCollateral(parcelsNow, herdsNow, balance.balance);
        return {
          loanId: loan.id,
          reference: loan.reference,
          branchId: loan.branch_id,
          borrowerId: loan.borrower_id,
          borrowerName: loan.borrower_name,
          currency: loan.currency,
          balance: balance.balance,
          balanceAsOf: balance.asOf.toISOString(),
          at: at.toISOString(),
          parcels: parcelsNow,
          herds: herdsNow,
          ...totals,
        };
      }),
    );
  }
  return out;
}

interface ValuationSettings {
  readonly yields: Map<number, Array<DatedSetting<number>>>;
  readonly prices: Map<number, Array<DatedSetting<{ pricePerTonne: number; currency: string }>>>;
  readonly livestock: Map<string, Array<DatedSetting<{ valuePerHead: number; currency: string }>>>;
}

/** All dated settings: small tables (a row per crop or species and change), read whole. */
async function readValuationSettings(db: Queryable): Promise<ValuationSettings> {
  const [yields, prices, livestock] = [
    await db.query<{ crop_code: number; valid_from: string; tonnes_per_ha: number }>(
      'select crop_code, valid_from::text as valid_from, tonnes_per_ha from crop_yields',
    ),
    await db.query<{
      crop_code: number;
      valid_from: string;
      price_per_tonne: string;
      currency: string;
    }>(
      'select crop_code, valid_from::text as valid_from, price_per_tonne, currency from crop_prices',
    ),
    await db.query<{
      species: string;
      valid_from: string;
      value_per_head: string;
      currency: string;
    }>(
      'select species, valid_from::text as valid_from, value_per_head, currency from livestock_values',
    ),
  ];
  const group = <K, T>(rows: Array<{ key: K; setting: DatedSetting<T> }>) => {
    const map = new Map<K, Array<DatedSetting<T>>>();
    for (const { key, setting } of rows) map.set(key, [...(map.get(key) ?? []), setting]);
    return map;
  };
  return {
    yields: group(
      yields.rows.map((r) => ({
        key: Number(r.crop_code),
        setting: { validFrom: r.valid_from, value: Number(r.tonnes_per_ha) },
      })),
    ),
    prices: group(
      prices.rows.map((r) => ({
        key: Number(r.crop_code),
        setting: {
          validFrom: r.valid_from,
          value: { pricePerTonne: Number(r.price_per_tonne), currency: r.currency },
        },
      })),
    ),
    livestock: group(
      livestock.rows.map((r) => ({
        key: r.species,
        setting: {
          validFrom: r.valid_from,
          value: { valuePerHead: Number(r.value_per_head), currency: r.currency },
        },
      })),
    ),
  };
}

function balanceAt(
  loan: LoanRow,
  history: ReadonlyArray<{ valid_from: Date; balance: string }>,
  at: Date,
): { balance: number; asOf: Date } {
  // History is sorted by valid_from; before its first row the first row's balance holds.
  let current = history[0];
  for (const row of history) {
    if (row.valid_from.getTime() <= at.getTime()) current = row;
    else break;
  }
  // No history at all would mean the trigger was bypassed: the stored balance is all we know.
  if (current === undefined) return { balance: Number(loan.balance), asOf: loan.created_at };
  return { balance: Number(current.balance), asOf: current.valid_from };
}

function parcelAt(
  p: ParcelRow,
  observation: ObservationRow | null,
  at: Date,
  loan: LoanRow,
  settings: ValuationSettings,
): CollateralParcel {
  const day = dayOf(at);
  const cropCode = p.declared_crop_code === null ? null : Number(p.declared_crop_code);
  const area = valuedAreaOf({
    observedAreaM2:
      observation?.planted_area_m2 == null ? null : Number(observation.planted_area_m2),
    declaredAreaM2: p.declared_area_m2 === null ? null : Number(p.declared_area_m2),
    areaM2: Number(p.area_m2),
  });
  const statusKnown = p.last_scene_at !== null && p.last_scene_at.getTime() <= at.getTime();
  return {
    parcelId: p.id,
    code: p.code,
    farmId: p.farm_id,
    farmCode: p.farm_code,
    season: p.season,
    areaM2: Number(p.area_m2),
    declaredCropCode: cropCode,
    declaredCropName: p.declared_crop_name,
    declaredAreaM2: p.declared_area_m2 === null ? null : Number(p.declared_area_m2),
    latestObservation: observation === null ? null : summarizeObservation(observation),
    status: statusKnown ? p.status : null,
    statusReason: statusKnown ? p.status_reason : null,
    ...area,
    ...valueParcel({
      valuedAreaM2: area.valuedAreaM2,
      declaredCropCode: cropCode,
      loanCurrency: loan.currency,
      yield: cropCode === null ? null : settingValidOn(settings.yields.get(cropCode) ?? [], day),
      price: cropCode === null ? null : settingValidOn(settings.prices.get(cropCode) ?? [], day),
    }),
  };
}

function summarizeObservation(o: ObservationRow): ParcelObservationSummary {
  return {
    observedAt: o.observed_at.toISOString(),
    sceneId: o.scene_id,
    predictedCropCode: o.predicted_crop_code === null ? null : Number(o.predicted_crop_code),
    predictedCropName: o.predicted_crop_name,
    predictedConfidence: o.predicted_confidence === null ? null : Number(o.predicted_confidence),
    plantedAreaM2: o.planted_area_m2 === null ? null : Number(o.planted_area_m2),
    modelVersion: o.model_version,
  };
}

function herdAt(
  h: HerdRow,
  count: { counted: number; missingTags: string[] } | undefined,
  day: string,
  loan: LoanRow,
  settings: ValuationSettings,
  options: CollateralOptions,
): CollateralHerd {
  const countedHeadCount = count?.counted ?? 0;
  return {
    herdId: h.id,
    code: h.code,
    farmId: h.farm_id,
    farmCode: h.farm_code,
    species: h.species,
    pledgedHeadCount: Number(h.pledged_head_count),
    countedHeadCount,
    freshnessMs: options.freshnessMs ?? DEFAULT_FRESHNESS_MS,
    missingTags: count?.missingTags ?? [],
    ...valueHerd({
      countedHeadCount,
      loanCurrency: loan.currency,
      herdValuePerHead: h.value_per_head === null ? null : Number(h.value_per_head),
      herdCurrency: h.currency,
      portfolioValue: settingValidOn(settings.livestock.get(h.species) ?? [], day),
    }),
  };
}

/** A real moment, or a 400 naming the field. */
export function checkMoment(field: string, at: Date): void {
  if (!(at instanceof Date) || Number.isNaN(at.getTime())) {
    throw new InvalidInputError(`${field} ${String(at)} is not a valid date`);
  }
}

function checkFreshness(freshnessMs: number | undefined): void {
  if (freshnessMs !== undefined && (!Number.isFinite(freshnessMs) || freshnessMs <= 0)) {
    throw new InvalidInputError(`freshnessMs ${freshnessMs} must be > 0`);
  }
}
