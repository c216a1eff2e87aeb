import type { Condition, DurationParams } from '../types.ts';

export interface CoverageInput {
  readonly loanId: string;
  readonly reference: string;
  readonly currency: string;
  /** Outstanding balance, in the loan's currency. */
  readonly balance: number;
  /** Each parcel: planted area (ha) x expected yield (t/ha) x price (per t). */
  readonly parcels: ReadonlyArray<{
    readonly parcelId: string;
    readonly code: string;
    readonly areaHa: number;
    /** 'observed' when a scene measured the planted area, else 'declared'. */
    readonly areaSource: 'observed' | 'declared';
    readonly cropCode: number | null;
    readonly tonnesPerHa: number | null;
    readonly pricePerTonne: number | null;
  }>;
  /** Each herd: counted head x value per head. */
  readonly herds: ReadonlyArray<{
    readonly herdId: string;
    readonly code: string;
    readonly headCount: number;
    readonly valuePerHead: number | null;
  }>;
}

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
 * Collateral coverage below threshold: (crop value + herd value) / balance `< minCoverageRatio`.
 * A parcel without yield or price, or a herd without value per head, is valued 0 and listed as
 * unvalued. A zero balance is covered.
 */
export function evaluateCoverage(input: CoverageInput, params: CoverageParams): Condition {
  const parcels = input.parcels.map((p) => ({
    ...p,
    value:
      p.tonnesPerHa !== null && p.pricePerTonne !== null
        ? round2(p.areaHa * p.tonnesPerHa * p.pricePerTonne)
        : null,
  }));
  const herds = input.herds.map((h) => ({
    ...h,
    value: h.valuePerHead !== null ? round2(h.headCount * h.valuePerHead) : null,
  }));
  const cropValue = round2(parcels.reduce((n, p) => n + (p.value ?? 0), 0));
  const herdValue = round2(herds.reduce((n, h) => n + (h.value ?? 0), 0));
  const ratio = input.balance > 0 ? (cropValue + herdValue) / input.balance : Infinity;
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
      cropValue,
      herdValue,
      coverageRatio: Number.isFinite(ratio) ? Math.round(ratio * 1000) / 1000 : null,
      minCoverageRatio: params.minCoverageRatio,
      parcels,
      herds,
      unvalued: [
        ...parcels.filter((p) => p.value === null).map((p) => `parcel ${p.code}`),
        ...herds.filter((h) => h.value === null).map((h) => `herd ${h.code}`),
      ],
    },
    evidenceKey: critical ? 'critical' : 'warning',
  };
}

function round2(n: number): number {
  return Math.round(n * 100) / 100;
}
