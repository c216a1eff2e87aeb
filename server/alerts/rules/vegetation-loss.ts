import type { Condition, DurationParams } from '../types.ts';
import {
  sceneEvidence,
  type ParcelDeclaration,
  type ParcelObservationSummary,
} from './parcel-summary.ts';

export interface VegetationLossParams extends DurationParams {
  /** A drop of NDVI from the season's peak by at least this fraction (0-1) is a loss. */
  readonly dropFraction: number;
  /** ... and by at least this fraction critical. */
  readonly criticalDropFraction: number;
}

export const vegetationLossDefaults: VegetationLossParams = {
  dropFraction: 0.35,
  criticalDropFraction: 0.6,
  raiseAfterMs: 0,
  clearAfterMs: 0,
};

/**
 * Vegetation loss: the latest NDVI is `dropFraction` or more below the season's peak, while the
 * parcel is not reported harvested (that is the early-harvest rule's business).
 */
export function evaluateVegetationLoss(
  parcel: ParcelDeclaration,
  summary: ParcelObservationSummary,
  params: VegetationLossParams,
): Condition {
  const { peak, latest } = summary.ndvi;
  const drop =
    peak !== null && latest !== null && peak.value > 0
      ? (peak.value - latest.value) / peak.value
      : 0;
  return {
    kind: 'vegetation_loss',
    subjectType: 'parcel',
    subjectId: parcel.parcelId,
    active: summary.status !== 'harvested' && drop >= params.dropFraction,
    severity: drop >= params.criticalDropFraction ? 'critical' : 'warning',
    title: `Parcel ${parcel.parcelCode}: NDVI down ${Math.round(drop * 100)} % from its peak`,
    evidence: {
      peak,
      latest,
      dropFraction: Math.round(drop * 1000) / 1000,
      ...sceneEvidence(summary),
    },
    evidenceKey: drop >= params.criticalDropFraction ? 'critical' : 'warning',
  };
}
