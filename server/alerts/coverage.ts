/**
 * Collateral coverage per active loan: crop value (planted area x expected yield x price of the
 * declared crop, from `crop_yields` and `crop_prices` valid at the moment) plus herd value
 * (counted head x value per head) against the balance. The planted area is the latest observed
 * one, else the declared area, else the parcel's area.
 */
import type { Queryable } from '../db/storage.ts';
import { withContext } from './observe.ts';
import {
  evaluateCoverage,
  type CoverageInput,
  type CoverageParams,
} from './rules/collateral-coverage.ts';
import type { RuleSettings } from './settings.ts';
import type { ObservedCondition } from './types.ts';

/**
 * Conditions for every active loan with pledged parcels or herds. `headCounts` maps herd ids to
 * their counted head (from the herd sweep); a herd not in it counts 0.
 */
export async function evaluateLoanCoverage(
  db: Queryable,
  settings: RuleSettings,
  at: Date,
  headCounts: ReadonlyMap<string, number>,
): Promise<ObservedCondition[]> {
  const day = at.toISOString().slice(0, 10);
  const loans = await db.query<{
    id: string;
    reference: string;
    balance: string;
    currency: string;
    branch_id: string;
  }>(`select id, reference, balance, currency, branch_id from loans where status = 'active'`);
  const parcels = await db.query<{
    id: string;
    code: string;
    loan_id: string;
    farm_id: string;
    declared_crop_code: number | null;
    declared_area_m2: number | null;
    area_m2: number;
    planted_area_m2: number | null;
    tonnes_per_ha: number | null;
    price_per_tonne: string | null;
  }>(
    `select p.id, p.code, p.loan_id, p.farm_id, p.declared_crop_code, p.declared_area_m2, p.area_m2,
            (select o.planted_area_m2 from parcel_observations o
              where o.parcel_id = p.id and o.planted_area_m2 is not null and o.observed_at <= $1
              order by o.observed_at desc limit 1) as planted_area_m2,
            (select y.tonnes_per_ha from crop_yields y
              where y.crop_code = p.declared_crop_code and y.valid_from <= $2::date
              order by y.valid_from desc limit 1) as tonnes_per_ha,
            (select c.price_per_tonne from crop_prices c
              where c.crop_code = p.declared_crop_code and c.valid_from <= $2::date
              order by c.valid_from desc limit 1) as price_per_tonne
       from parcels p where p.loan_id is not null
        and (p.season_end is null or p.season_end >= $2::date)
      order by p.code`,
    [at, day],
  );
  const herds = await db.query<{
    id: string;
    code: string;
    loan_id: string;
    farm_id: string;
    value_per_head: string | null;
  }>(
    `select id, code, loan_id, farm_id, value_per_head from herds where loan_id is not null
      order by code`,
  );
  const out: ObservedCondition[] = [];
  for (const loan of loans.rows) {
    const loanParcels = parcels.rows.filter((p) => p.loan_id === loan.id);
    const loanHerds = herds.rows.filter((h) => h.loan_id === loan.id);
    if (loanParcels.length === 0 && loanHerds.length === 0) continue;
    const input: CoverageInput = {
      loanId: loan.id,
      reference: loan.reference,
      currency: loan.currency,
      balance: Number(loan.balance),
      parcels: loanParcels.map((p) => {
        const observed = p.planted_area_m2 !== null;
        const areaM2 = Number(p.planted_area_m2 ?? p.declared_area_m2 ?? p.area_m2);
        return {
          parcelId: p.id,
          code: p.code,
          areaHa: Math.round(areaM2) / 10_000,
          areaSource: observed ? 'observed' : 'declared',
          cropCode: p.declared_crop_code,
          tonnesPerHa: p.tonnes_per_ha === null ? null : Number(p.tonnes_per_ha),
          pricePerTonne: p.price_per_tonne === null ? null : Number(p.price_per_tonne),
        };
      }),
      herds: loanHerds.map((h) => ({
        herdId: h.id,
        code: h.code,
        headCount: headCounts.get(h.id) ?? 0,
        valuePerHead: h.value_per_head === null ? null : Number(h.value_per_head),
      })),
    };
    const params = settings.resolve<CoverageParams>('collateral_coverage_below_threshold', {
      branchId: loan.branch_id,
      loanId: loan.id,
    });
    const farmIds = new Set([...loanParcels, ...loanHerds].map((x) => x.farm_id));
    out.push(
      withContext(
        evaluateCoverage(input, params),
        {
          branchId: loan.branch_id,
          loanId: loan.id,
          farmId: farmIds.size === 1 ? ([...farmIds][0] ?? null) : null,
        },
        params,
      ),
    );
  }
  return out;
}
