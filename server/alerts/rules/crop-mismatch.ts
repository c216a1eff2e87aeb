import type { Condition, DurationParams } from '../types.ts';
import {
  isSameCrop,
  sceneEvidence,
  type ParcelDeclaration,
  type ParcelObservationSummary,
} from './parcel-summary.ts';

export interface CropMismatchParams extends DurationParams {
  /** Below this classifier confidence (0-1) a different crop is not believed. */
  readonly minConfidence: number;
  /** From this confidence, a crop of another group (first digit) is critical. */
  readonly criticalConfidence: number;
}

export const cropMismatchDefaults: CropMismatchParams = {
  minConfidence: 0.6,
  criticalConfidence: 0.85,
  raiseAfterMs: 0,
  clearAfterMs: 0,
};

/**
 * Crop mismatch: the predicted crop is neither the declared one nor its ancestor or descendant in
 * the WorldCereal legend, with confidence `>= minConfidence`. Critical when the crop group differs
 * too (first digit) and confidence `>= criticalConfidence`; else warning.
 */
export function evaluateCropMismatch(
  parcel: ParcelDeclaration,
  summary: ParcelObservationSummary,
  params: CropMismatchParams,
): Condition {
  const declared = parcel.declaredCropCode;
  const predicted = summary.predictedCropCode;
  const confidence = summary.predictedConfidence ?? 0;
  const differs = declared !== null && predicted !== null && !isSameCrop(declared, predicted);
  const otherGroup = differs && String(declared)[0] !== String(predicted)[0];
  return {
    kind: 'crop_mismatch',
    subjectType: 'parcel',
    subjectId: parcel.parcelId,
    active: differs && confidence >= params.minConfidence,
    severity: otherGroup && confidence >= params.criticalConfidence ? 'critical' : 'warning',
    title: `Parcel ${parcel.parcelCode}: declared crop ${declared ?? '-'}, seen ${predicted ?? '-'}`,
    evidence: {
      declaredCropCode: declared,
      predictedCropCode: predicted,
      confidence: summary.predictedConfidence,
      ...sceneEvidence(summary),
    },
    evidenceKey: `${predicted ?? ''}`,
  };
}
