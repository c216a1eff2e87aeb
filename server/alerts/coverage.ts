/**
 * Collateral coverage per active loan, valued by the collateral module (`server/collateral`:
 * crop value from the observed, declared or parcel area x yield x price valid that day, herd
 * value from the heads counted at the moment x value per head, against the balance history), so
 * the alert says exactly what `GET /api/loans/{id}/collateral` says for the same moment. All
 * loans are valued in one batch: a fixed number of queries, whatever their number.
 */
import { collateralOfLoans, type HeadCountOptions } from '../collateral/index.ts';
import type { Queryable } from '../db/storage.ts';
import { withContext } from './observe.ts';
import { evaluateCoverage, type CoverageParams } from './rules/collateral-coverage.ts';
import type { RuleSettings } from './settings.ts';
import type { ObservedCondition } from './types.ts';

/**
 * Conditions for every active loan with pledged parcels (in season) or herds at `at`. `options`
 * are the head count's freshness and geofence margin (defaults as the herd state's).
 */
export async function evaluateLoanCoverage(
  db: Queryable,
  settings: RuleSettings,
  at: Date,
  options: HeadCountOptions = {},
): Promise<ObservedCondition[]> {
  const loans = await db.query<{ id: string }>(
    `select id from loans where status = 'active' order by reference`,
  );
  const valued = await collateralOfLoans(
    db,
    loans.rows.map((l) => l.id),
    [at],
    options,
  );
  const out: ObservedCondition[] = [];
  for (const { id } of loans.rows) {
    const collateral = valued.get(id)?.[0];
    if (collateral === undefined) continue;
    if (collateral.parcels.length === 0 && collateral.herds.length === 0) continue;
    const params = settings.resolve<CoverageParams>('collateral_coverage_below_threshold', {
      branchId: collateral.branchId,
      loanId: collateral.loanId,
    });
    const farmIds = new Set([...collateral.parcels, ...collateral.herds].map((x) => x.farmId));
    out.push(
      withContext(
        evaluateCoverage(collateral, params),
        {
          branchId: collateral.branchId,
          loanId: collateral.loanId,
          farmId: farmIds.size === 1 ? ([...farmIds][0] ?? null) : null,
        },
        params,
      ),
    );
  }
  return out;
}
