import type { Condition, DurationParams } from '../types.ts';
import {
  sceneEvidence,
  type ParcelDeclaration,
  type ParcelObservationSummary,
} from './parcel-summary.ts';

export interface PlantedAreaParams extends DurationParams {
  /** Planted area short of the declared area by more than this percentage is a warning. */
  readonly shortfallPct: number;
  /** ... and by at least this percentage critical. */
  readonly criticalShortfallPct: number;
}

export const plantedAreaDefaults: PlantedAreaParams = {
  shortfallPct: 10,
  criticalShortfallPct: 30,
  raiseAfterMs: 0,
  clearAfterMs: 0,
};

/** Planted area short: `(declared - planted) / declared` above `shortfallPct` % (strictly). */
export function evaluatePlantedArea(
  parcel: ParcelDeclaration,
  summary: ParcelObservationSummary,
  params: PlantedAreaParams,
): Condition {
  const declared = parcel.declaredAreaM2;
  const planted = summary.plantedAreaM2;
  const shortPct =
    declared !== null && declared > 0 && planted !== null
      ? (100 * (declared - planted)) / declared
      : 0;
  return {
    kind: 'planted_area_short',
    subjectType: 'parcel',
    subjectId: parcel.parcelId,
    active: shortPct > params.shortfallPct,
    severity: shortPct >= params.criticalShortfallPct ? 'critical' : 'warning',
    title: `Parcel ${parcel.parcelCode}: ${Math.round(shortPct)} % of the declared area not planted`,
    evidence: {
      declaredAreaM2: declared,
      plantedAreaM2: planted,
      shortfallPct: Math.round(shortPct * 10) / 10,
      ...sceneEvidence(summary),
    },
    evidenceKey: shortPct >= params.criticalShortfallPct ? 'critical' : 'warning',
  };
}
