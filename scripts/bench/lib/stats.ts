import type { CaseResult, ResultGroup, Sample } from './types.ts';

/** Median of a non-empty list (mean of the two middle values for an even count); null if empty. */
export function median(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const upper = sorted[mid] ?? 0;
  return sorted.length % 2 === 1 ? upper : ((sorted[mid - 1] ?? 0) + upper) / 2;
}

export interface CaseSamples {
  readonly id: string;
  readonly label: string;
  readonly samples: readonly Sample[];
}

/**
 * Summarises one group: median, min and max rate per case, and each median as a ratio of the
 * baseline's median (null when either has no sample).
 *
 * @example
 * summarizeGroup('pglite, batch 1,000', 'row', [{ id: 'row', ... }, { id: 'copy', ... }])
 */
export function summarizeGroup(
  label: string,
  baselineId: string,
  cases: readonly CaseSamples[],
): ResultGroup {
  const baseline = cases.find((c) => c.id === baselineId);
  if (baseline === undefined) {
    throw new Error(`group ${label}: baseline case ${baselineId} is not among its cases`);
  }
  const baselineMedian = median(baseline.samples.map((s) => s.perSecond));
  return {
    label,
    baselineId,
    cases: cases.map((c): CaseResult => {
      const rates = c.samples.map((s) => s.perSecond);
      const mid = median(rates);
      return {
        id: c.id,
        label: c.label,
        isBaseline: c.id === baselineId,
        samples: c.samples,
        medianPerSecond: mid,
        minPerSecond: rates.length > 0 ? Math.min(...rates) : null,
        maxPerSecond: rates.length > 0 ? Math.max(...rates) : null,
        ratioToBaseline:
          mid !== null && baselineMedian !== null && baselineMedian > 0
            ? mid / baselineMedian
            : null,
      };
    }),
  };
}
