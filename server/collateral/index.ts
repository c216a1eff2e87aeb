/**
 * The loan's collateral file: each pledged parcel and herd valued at a moment with the dated
 * portfolio settings, and the coverage of the balance over time. Rules in `valuation.ts`.
 */
export type * from './types.ts';
export { loanCollateralAt, collateralOfLoans } from './loan-collateral.ts';
export type { CollateralOptions } from './loan-collateral.ts';
export { coverageSeries, DEFAULT_SERIES_POINTS, MAX_SERIES_POINTS } from './coverage-series.ts';
export type { CoverageSeriesOptions } from './coverage-series.ts';
export { countHeadsAt, isFixInsideGeofence } from './head-count-at.ts';
export type { HeadCount, HeadCountOptions } from './head-count-at.ts';
export { dayOf, settingValidOn, valueHerd, valueParcel, totalCollateral } from './valuation.ts';
export { createCollateralRoutes } from './collateral-routes.ts';
export { createValuationRoutes, livestockSpecies } from './valuation-routes.ts';
export { coverageSeriesSchema, loanCollateralSchema } from './collateral-schemas.ts';
export type { CoverageSeriesView, LoanCollateralView } from './collateral-schemas.ts';
