/**
 * A loan's coverage over a period: `points` moments evenly spaced from `from` to `to` (the first
 * at `from`, the last at `to`; a single point is at `to`), each valued exactly as
 * `loanCollateralAt` would value it, with the counted head per herd. All points are valued in one
 * batch (a fixed number of queries).
 */
import type { Queryable } from '../db/storage.ts';
import { InvalidInputError, NotFoundError } from '../errors.ts';
import { checkMoment, collateralOfLoans, type CollateralOptions } from './loan-collateral.ts';
import type { CoverageSeries } from './types.ts';

export const DEFAULT_SERIES_POINTS = 60;
export const MAX_SERIES_POINTS = 400;

export interface CoverageSeriesOptions extends CollateralOptions {
  /** Number of points, 1-400; default 60. */
  readonly points?: number;
}

/**
 * @example
 * const series = await coverageSeries(db, loanId, new Date('2026-03-01'), new Date('2026-06-01'), { points: 93 });
 * series.points.at(-1)?.coverageRatio; // the ratio at `to`
 */
export async function coverageSeries(
  db: Queryable,
  loanId: string,
  from: Date,
  to: Date,
  options: CoverageSeriesOptions = {},
): Promise<CoverageSeries> {
  checkMoment('from', from);
  checkMoment('to', to);
  const points = options.points ?? DEFAULT_SERIES_POINTS;
  if (!Number.isInteger(points) || points < 1 || points > MAX_SERIES_POINTS) {
    throw new InvalidInputError(
      `points ${points} out of range: must be an integer in [1, ${MAX_SERIES_POINTS}]`,
    );
  }
  if (from.getTime() >= to.getTime()) {
    throw new InvalidInputError(`from ${from.toISOString()} must be before to ${to.toISOString()}`);
  }
  const stepMs = points === 1 ? 0 : (to.getTime() - from.getTime()) / (points - 1);
  const moments = Array.from({ length: points }, (_, i) =>
    i === points - 1 ? to : new Date(Math.round(from.getTime() + i * stepMs)),
  );
  const valued = (await collateralOfLoans(db, [loanId], moments, options)).get(loanId);
  if (valued === undefined) throw new NotFoundError('loan', loanId);
  return {
    loanId,
    currency: valued[0]?.currency ?? '',
    from: from.toISOString(),
    to: to.toISOString(),
    stepMs,
    points: valued.map((c) => ({
      at: c.at,
      balance: c.balance,
      cropValue: c.cropValue,
      herdValue: c.herdValue,
      totalValue: c.totalValue,
      coverageRatio: c.coverageRatio,
      headCounts: Object.fromEntries(c.herds.map((h) => [h.herdId, h.countedHeadCount])),
    })),
  };
}
