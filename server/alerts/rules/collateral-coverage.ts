import type { CollateralHerd, CollateralParcel, LoanCollateral } from '../../collateral/types.ts';
import type { Condition, DurationParams } from '../types.ts';

/**
 * A loan's collateral as the collateral module values it (`server/collateral`): the alert only
 * compares, so it can never disagree with `GET /api/loans/{id}/collateral` for the same moment.
 */
export type CoverageInput = Pick<
  LoanCollateral,
  | 'loanId'
  | 'reference'
  | 'currency'
  | 'balance'
  | 'cropValue'
  | 'herdValue'
  | 'totalValue'
  | 'coverageRatio'
  | 'unvalued'
> & {
  readonly parcels: ReadonlyArray<
    Pick<
      CollateralParcel,
      | 'parcelId'
      | 'code'
      | 'valuedAreaM2'
      | 'areaSource'
      | 'declaredCropCode'
      | 'tonnesPerHa'
      | 'pricePerTonne'
      | 'value'
      | 'unvaluedReason'
    >
  >;
  readonly herds: ReadonlyArray<
    Pick<
      CollateralHerd,
      'herdId' | 'code' | 'countedHeadCount' | 'valuePerHead' | 'value' | 'unvaluedReason'
    >
  >;
};

export interface CoverageParams extends DurationParams {
  /** Collateral value / balance below this is a warning. */
  readonly minCoverageRatio: number;
  /** ... below this critical. */
  readonly criticalCoverageRatio: number;
}

export const coverageDefaults: CoverageParams = {
  minCoverageRatio: 1.2,
  criticalCoverageRatio: 1.0,
  raiseAfterMs: 60 * 60_000,
  clearAfterMs: 60 * 60_000,
};

/**
 * Collateral coverage below threshold: totalValue / balance `< minCoverageRatio` (critical below
 * `criticalCoverageRatio`). The thresholds are compared with the exact ratio; the evidence shows
 * the ratio rounded to 3 decimals as the API does. Unvalued items count 0 and are listed. A zero
 * balance is covered.
 */
export function evaluateCoverage(input: CoverageInput, params: CoverageParams): Condition {
  const ratio = input.balance > 0 ? input.totalValue / input.balance : Infinity;
  const critical = ratio < params.criticalCoverageRatio;
  return {
    kind: 'collateral_coverage_below_threshold',
    subjectType: 'loan',
    subjectId: input.loanId,
    active: ratio < params.minCoverageRatio,
    severity: critical ? 'critical' : 'warning',
    title: `Loan ${input.reference}: collateral covers ${Number.isFinite(ratio) ? Math.round(ratio * 100) : '-'} % of the balance`,
    evidence: {
      balance: input.balance,
      currency: input.currency,
      cropValue: input.cropValue,
      herdValue: input.herdValue,
      totalValue: input.totalValue,
      coverageRatio: input.coverageRatio,
      minCoverageRatio: params.minCoverageRatio,
      parcels: input.parcels.map((p) => ({
        parcelId: p.parcelId,
        code: p.code,
        areaHa: p.valuedAreaM2 / 10_000,
        areaSource: p.areaSource,
        cropCode: p.declaredCropCode,
        tonnesPerHa: p.tonnesPerHa,
        pricePerTonne: p.pricePerTonne,
        value: p.value,
        unvaluedReason: p.unvaluedReason,
      })),
      herds: input.herds.map((h) => ({
        herdId: h.herdId,
        code: h.code,
        headCount: h.countedHeadCount,
        valuePerHead: h.valuePerHead,
        value: h.value,
        unvaluedReason: h.unvaluedReason,
      })),
      unvalued: [...input.unvalued],
    },
    evidenceKey: critical ? 'critical' : 'warning',
  };
}
