/**
 * A loan's collateral at one moment, valued with the portfolio settings valid on that day, and
 * its coverage of the loan balance over time. Shared by the collateral API, the map, the
 * post-loan report and the coverage alert, so all of them say the same figures.
 */

/** Why a pledged item adds nothing to the collateral value (it is listed, never silently 0). */
export type UnvaluedReason =
  'no_declared_crop' | 'no_yield' | 'no_price' | 'no_value_per_head' | 'currency_mismatch';

export interface ParcelObservationSummary {
  /** The scene's date (ISO timestamp). */
  readonly observedAt: string;
  readonly sceneId: string;
  readonly predictedCropCode: number | null;
  readonly predictedCropName: string | null;
  readonly predictedConfidence: number | null;
  readonly plantedAreaM2: number | null;
  readonly modelVersion: string | null;
}

export interface CollateralParcel {
  readonly parcelId: string;
  readonly code: string;
  readonly farmId: string;
  readonly farmCode: string;
  readonly season: string;
  readonly areaM2: number;
  readonly declaredCropCode: number | null;
  readonly declaredCropName: string | null;
  readonly declaredAreaM2: number | null;
  /** The latest parcel observation with a planted area at or before `at`; null: none yet. */
  readonly latestObservation: ParcelObservationSummary | null;
  /**
   * The satellite status ('verified' | 'mismatch' | 'area_shortfall' | 'cannot_verify') when the
   * parcel's latest check is at or before `at`; null when there is none as of that moment.
   */
  readonly status: string | null;
  readonly statusReason: string | null;
  /** Area the value is computed from and where it comes from. */
  readonly valuedAreaM2: number;
  readonly areaSource: 'observed' | 'declared' | 'parcel';
  readonly tonnesPerHa: number | null;
  readonly yieldValidFrom: string | null;
  readonly pricePerTonne: number | null;
  readonly priceCurrency: string | null;
  readonly priceValidFrom: string | null;
  /** areaHa x tonnesPerHa x pricePerTonne, 2 decimals, in the loan's currency; null: unvalued. */
  readonly value: number | null;
  readonly unvaluedReason: UnvaluedReason | null;
}

export interface CollateralHerd {
  readonly herdId: string;
  readonly code: string;
  readonly farmId: string;
  readonly farmCode: string;
  readonly species: string;
  readonly pledgedHeadCount: number;
  /** Distinct pledged tags with a fresh fix inside the geofence at `at` (as the herd state counts). */
  readonly countedHeadCount: number;
  readonly freshnessMs: number;
  /** Pledged tags not counted at `at`, sorted. */
  readonly missingTags: readonly string[];
  readonly valuePerHead: number | null;
  readonly valueCurrency: string | null;
  /** 'herd': the herd's own appraisal; 'portfolio': the species value valid that day. */
  readonly valueSource: 'herd' | 'portfolio' | null;
  readonly valueValidFrom: string | null;
  readonly value: number | null;
  readonly unvaluedReason: UnvaluedReason | null;
}

export interface LoanCollateral {
  readonly loanId: string;
  readonly reference: string;
  readonly branchId: string;
  readonly borrowerId: string;
  readonly borrowerName: string;
  readonly currency: string;
  /** The balance as of `at` (from the balance history), and since when it was that. */
  readonly balance: number;
  readonly balanceAsOf: string;
  /** The moment valued (ISO timestamp). */
  readonly at: string;
  readonly parcels: readonly CollateralParcel[];
  readonly herds: readonly CollateralHerd[];
  readonly cropValue: number;
  readonly herdValue: number;
  readonly totalValue: number;
  /** totalValue / balance, 3 decimals; null when the balance is 0. */
  readonly coverageRatio: number | null;
  /** 'parcel P-1', 'herd H-1': what adds nothing to the value, with the reason in its row. */
  readonly unvalued: readonly string[];
}

export interface CoveragePoint {
  readonly at: string;
  readonly balance: number;
  readonly cropValue: number;
  readonly herdValue: number;
  readonly totalValue: number;
  readonly coverageRatio: number | null;
  /** Counted head per herd id at this point (so a report can draw the herd line too). */
  readonly headCounts: Readonly<Record<string, number>>;
}

export interface CoverageSeries {
  readonly loanId: string;
  readonly currency: string;
  readonly from: string;
  readonly to: string;
  readonly stepMs: number;
  /** Oldest first; the last point is at `to`. */
  readonly points: readonly CoveragePoint[];
}
