import type { Condition, DurationParams } from '../types.ts';

export interface MassExitInput {
  readonly herdId: string;
  readonly herdCode: string;
  /** Recent crossings out of the geofence, with whether each tag is still outside. */
  readonly exits: ReadonlyArray<{
    readonly tagCode: string;
    readonly exitedAt: string;
    readonly stillOutside: boolean;
  }>;
}

export interface MassExitParams extends DurationParams {
  /** At least this many animals ... */
  readonly minAnimals: number;
  /** ... leaving within this window (ms) is a mass exit. */
  readonly windowMs: number;
}

export const massExitDefaults: MassExitParams = {
  minAnimals: 3,
  windowMs: 15 * 60_000,
  raiseAfterMs: 0,
  clearAfterMs: 30 * 60_000,
};

/**
 * Mass exit (theft): at least `minAnimals` distinct tags, still outside, crossed out within some
 * window of `windowMs` (inclusive). Always critical. Evidence: the tags and the window.
 */
export function evaluateMassExit(input: MassExitInput, params: MassExitParams): Condition {
  // Latest exit per tag still outside, sorted by time; slide a window over them.
  const latest = new Map<string, number>();
  for (const exit of input.exits) {
    if (!exit.stillOutside) continue;
    const t = Date.parse(exit.exitedAt);
    if ((latest.get(exit.tagCode) ?? -Infinity) < t) latest.set(exit.tagCode, t);
  }
  const sorted = [...latest.entries()].sort((a, b) => a[1] - b[1]);
  let best: Array<[string, number]> = [];
  let start = 0;
  for (let end = 0; end < sorted.length; end += 1) {
    while ((sorted[end]?.[1] ?? 0) - (sorted[start]?.[1] ?? 0) > params.windowMs) start += 1;
    if (end - start + 1 > best.length) best = sorted.slice(start, end + 1);
  }
  const active = best.length >= params.minAnimals;
  const tags = best.map(([tag]) => tag).sort();
  return {
    kind: 'mass_exit',
    subjectType: 'herd',
    subjectId: input.herdId,
    active,
    severity: 'critical',
    title: `Herd ${input.herdCode}: ${best.length} animals left the farm together`,
    evidence: {
      tags,
      count: best.length,
      from: best.length > 0 ? new Date(best[0]?.[1] ?? 0).toISOString() : null,
      to: best.length > 0 ? new Date(best[best.length - 1]?.[1] ?? 0).toISOString() : null,
      minAnimals: params.minAnimals,
      windowMs: params.windowMs,
    },
    evidenceKey: tags.join(','),
  };
}
