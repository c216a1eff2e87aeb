import type { Condition, DurationParams } from '../types.ts';

export interface DoublePledgeInput {
  readonly earTagId: string;
  readonly tagCode: string;
  readonly herdCode: string;
  readonly branchId: string;
  readonly otherPledges: ReadonlyArray<{
    readonly herdId: string;
    readonly herdCode: string;
    readonly farmId: string;
    readonly branchId: string;
  }>;
  readonly reportingFarmIds: readonly string[];
}

export type DoublePledgeParams = DurationParams;

export const doublePledgeDefaults: DoublePledgeParams = { raiseAfterMs: 0, clearAfterMs: 0 };

/**
 * Tag pledged on two farms: the tag is also bound to another herd. Critical when it reported from
 * two farms or the other pledge is at another branch (collateral pledged twice); else warning.
 */
export function evaluateDoublePledge(
  input: DoublePledgeInput,
  params: DoublePledgeParams,
): Condition {
  void params;
  const otherBranch = input.otherPledges.some((p) => p.branchId !== input.branchId);
  const twoFarms = input.reportingFarmIds.length >= 2;
  const herds = input.otherPledges.map((p) => p.herdCode).sort();
  return {
    kind: 'tag_double_pledged',
    subjectType: 'ear_tag',
    subjectId: input.earTagId,
    active: input.otherPledges.length > 0,
    severity: otherBranch || twoFarms ? 'critical' : 'warning',
    title: `Tag ${input.tagCode} of herd ${input.herdCode} is also pledged in ${herds.join(', ')}`,
    evidence: {
      tagCode: input.tagCode,
      otherPledges: input.otherPledges,
      reportingFarmIds: [...input.reportingFarmIds].sort(),
      reportedFromTwoFarms: twoFarms,
    },
    evidenceKey: `${herds.join(',')}|${twoFarms}`,
  };
}
