import type { Condition, DurationParams } from '../types.ts';
import {
  sceneEvidence,
  type ParcelDeclaration,
  type ParcelObservationSummary,
} from './parcel-summary.ts';

export interface EarlyHarvestParams extends DurationParams {
  /** Harvested more than this many days before the season's end is early. */
  readonly earlyDays: number;
  /** ... at least this many days early is critical. */
  readonly criticalEarlyDays: number;
}

export const earlyHarvestDefaults: EarlyHarvestParams = {
  earlyDays: 14,
  criticalEarlyDays: 45,
  raiseAfterMs: 0,
  clearAfterMs: 0,
};

const dayMs = 86_400_000;

/** Early harvest: harvested more than `earlyDays` (strictly) before the declared season end. */
export function evaluateEarlyHarvest(
  parcel: ParcelDeclaration,
  summary: ParcelObservationSummary,
  params: EarlyHarvestParams,
): Condition {
  const harvestedAt = summary.status === 'harvested' ? summary.harvestedAt : null;
  const daysEarly =
    harvestedAt !== null && parcel.seasonEnd !== null
      ? (parcel.seasonEnd.getTime() - harvestedAt.getTime()) / dayMs
      : 0;
  return {
    kind: 'early_harvest',
    subjectType: 'parcel',
    subjectId: parcel.parcelId,
    active: daysEarly > params.earlyDays,
    severity: daysEarly >= params.criticalEarlyDays ? 'critical' : 'warning',
    title: `Parcel ${parcel.parcelCode}: harvested ${Math.round(daysEarly)} days early`,
    evidence: {
      harvestedAt: harvestedAt?.toISOString() ?? null,
      seasonEnd: parcel.seasonEnd?.toISOString().slice(0, 10) ?? null,
      daysEarly: Math.round(daysEarly * 10) / 10,
      ...sceneEvidence(summary),
    },
    evidenceKey: harvestedAt?.toISOString() ?? '',
  };
}
