import type { Condition, DurationParams } from '../types.ts';
import {
  sceneEvidence,
  type ParcelDeclaration,
  type ParcelObservationSummary,
} from './parcel-summary.ts';

export interface CannotVerifyParams extends DurationParams {
  /** No clear observation for more than this many days (info). */
  readonly maxDaysWithoutClear: number;
  /** ... for at least this many days: warning. */
  readonly warningDaysWithoutClear: number;
}

export const cannotVerifyDefaults: CannotVerifyParams = {
  maxDaysWithoutClear: 30,
  warningDaysWithoutClear: 60,
  raiseAfterMs: 0,
  clearAfterMs: 0,
};

const dayMs = 86_400_000;

/**
 * Cannot verify: no clear observation of the parcel for more than `maxDaysWithoutClear` days
 * (clouds, or never observed: counted from the season start, else inactive until one exists).
 */
export function evaluateCannotVerify(
  parcel: ParcelDeclaration,
  summary: ParcelObservationSummary,
  params: CannotVerifyParams,
): Condition {
  const since = summary.lastClearObservationAt ?? parcel.seasonStart;
  const days = since === null ? 0 : (summary.at.getTime() - since.getTime()) / dayMs;
  return {
    kind: 'cannot_verify',
    subjectType: 'parcel',
    subjectId: parcel.parcelId,
    active: days > params.maxDaysWithoutClear,
    severity: days >= params.warningDaysWithoutClear ? 'warning' : 'info',
    title: `Parcel ${parcel.parcelCode}: no clear view for ${Math.floor(days)} days`,
    evidence: {
      lastClearObservationAt: summary.lastClearObservationAt?.toISOString() ?? null,
      daysWithoutClear: Math.round(days * 10) / 10,
      ...sceneEvidence(summary),
    },
    evidenceKey: days >= params.warningDaysWithoutClear ? 'warning' : 'info',
  };
}
