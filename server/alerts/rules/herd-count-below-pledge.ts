import type { Condition, DurationParams } from '../types.ts';

export interface HerdCountInput {
  readonly herdId: string;
  readonly herdCode: string;
  readonly at: string;
  readonly pledgedHeadCount: number;
  /** Pledged tags with a fresh fix inside the geofence (see computeHerdState). */
  readonly headCount: number;
  readonly missingTags: readonly string[];
  readonly outsideTags: readonly string[];
  readonly freshnessMs: number;
}

export interface HerdCountParams extends DurationParams {
  /** Heads short of the pledge that are tolerated (>= 0). */
  readonly toleranceHeads: number;
  /** A shortfall of at least this percentage of the pledge is critical. */
  readonly criticalShortfallPct: number;
}

export const herdCountDefaults: HerdCountParams = {
  toleranceHeads: 0,
  criticalShortfallPct: 10,
  raiseAfterMs: 15 * 60_000,
  clearAfterMs: 15 * 60_000,
};

/**
 * Herd count below pledge: active when `pledged - counted > toleranceHeads`; critical from
 * `criticalShortfallPct` % of the pledge, else warning.
 *
 * @example evaluateHerdCount({ pledgedHeadCount: 40, headCount: 35, ... }, herdCountDefaults)
 *   // active, critical (12.5 % short)
 */
export function evaluateHerdCount(input: HerdCountInput, params: HerdCountParams): Condition {
  const shortfall = Math.max(0, input.pledgedHeadCount - input.headCount);
  const active = shortfall > params.toleranceHeads;
  const shortfallPct = input.pledgedHeadCount > 0 ? (100 * shortfall) / input.pledgedHeadCount : 0;
  return {
    kind: 'herd_count_below_pledge',
    subjectType: 'herd',
    subjectId: input.herdId,
    active,
    severity: shortfallPct >= params.criticalShortfallPct ? 'critical' : 'warning',
    title: `Herd ${input.herdCode}: ${input.headCount} of ${input.pledgedHeadCount} pledged head counted`,
    evidence: {
      at: input.at,
      pledgedHeadCount: input.pledgedHeadCount,
      headCount: input.headCount,
      shortfall,
      shortfallPct: Math.round(shortfallPct * 10) / 10,
      missingTags: [...input.missingTags].sort(),
      outsideTags: [...input.outsideTags].sort(),
      freshnessMs: input.freshnessMs,
    },
    evidenceKey: `${shortfall}|${[...input.missingTags, ...input.outsideTags].sort().join(',')}`,
  };
}
