/**
 * What the satellite job knows about one parcel after a scene: the typed input of the parcel rules
 * (crop mismatch, planted area short, vegetation loss, early harvest, cannot verify). The job
 * builds it from `parcel_observations`; {@link evaluateParcelConditions} in `../parcel-alerts.ts`
 * adds the parcel's declared values and settings and hands the conditions to the engine.
 */
export interface SceneRef {
  readonly sceneId: string;
  readonly observedAt: string;
  /** clear_pixels / total_pixels of the parcel in the scene. */
  readonly clearFraction: number;
  readonly ndviMean: number | null;
}

export interface ParcelObservationSummary {
  /** The moment of the evaluation (usually the latest scene's date, or now). */
  readonly at: Date;
  readonly predictedCropCode: number | null;
  /** 0-1. */
  readonly predictedConfidence: number | null;
  readonly plantedAreaM2: number | null;
  /** What the classifier makes of the parcel now. */
  readonly status: 'growing' | 'bare' | 'harvested' | 'unknown';
  /** When the parcel was first seen harvested (status 'harvested'). */
  readonly harvestedAt: Date | null;
  /** Latest scene with enough clear pixels to tell anything; null when none. */
  readonly lastClearObservationAt: Date | null;
  /** NDVI markers over the season. */
  readonly ndvi: {
    readonly peak: {
      readonly value: number;
      readonly observedAt: string;
      readonly sceneId: string;
    } | null;
    readonly latest: {
      readonly value: number;
      readonly observedAt: string;
      readonly sceneId: string;
    } | null;
  };
  /** The scenes behind the summary, for the evidence. */
  readonly scenes: readonly SceneRef[];
}

/** The parcel as the bank registered it. */
export interface ParcelDeclaration {
  readonly parcelId: string;
  readonly parcelCode: string;
  readonly declaredCropCode: number | null;
  readonly declaredAreaM2: number | null;
  readonly seasonStart: Date | null;
  readonly seasonEnd: Date | null;
}

/** A WorldCereal crop code and its ancestors share a prefix: 1110 (winter wheat) is a 1100 (wheat). */
export function isSameCrop(declared: number, predicted: number): boolean {
  if (declared === predicted) return true;
  const a = String(declared).replace(/0+$/, '');
  const b = String(predicted).replace(/0+$/, '');
  return a.length > 0 && b.length > 0 && (a.startsWith(b) || b.startsWith(a));
}

export function sceneEvidence(summary: ParcelObservationSummary): Record<string, unknown> {
  return {
    scenes: summary.scenes.map((s) => ({ ...s })),
    from: summary.scenes[0]?.observedAt ?? null,
    to: summary.scenes[summary.scenes.length - 1]?.observedAt ?? null,
  };
}
