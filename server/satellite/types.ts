/**
 * What the satellite job stores and hands on: a parcel's latest check from space as read back from
 * the database (`parcel_satellite_status` plus its scenes in `parcel_observations`), and a run of
 * the job.
 */

export type ParcelCheckStatus = 'verified' | 'mismatch' | 'area_shortfall' | 'cannot_verify';

export interface StoredMarker {
  readonly type: 'vegetation_loss' | 'early_harvest';
  /** ISO 8601. */
  readonly date: string;
  readonly sceneId: string;
  readonly ndvi: number;
  readonly expectedNdvi: number;
  readonly cropCode: number;
  readonly reason: string;
}

export interface StoredNdviPoint {
  /** ISO 8601. */
  readonly date: string;
  readonly sceneId: string;
  readonly ndvi: number;
  readonly clearPixels: number;
}

export interface StoredScene {
  readonly sceneId: string;
  /** ISO 8601. */
  readonly observedAt: string;
  readonly clearPixels: number;
  readonly totalPixels: number;
  readonly ndviMean: number | null;
}

/** A parcel's latest result, as the alert hand-off receives it. */
export interface StoredParcelResult {
  readonly parcelId: string;
  readonly status: ParcelCheckStatus;
  readonly reason: string;
  readonly predictedCropCode: number | null;
  readonly predictedConfidence: number | null;
  readonly plantedAreaM2: number | null;
  readonly clearObservations: number;
  readonly lastSceneAt: Date | null;
  readonly lastClearAt: Date | null;
  readonly markers: readonly StoredMarker[];
  readonly ndviSeries: readonly StoredNdviPoint[];
  /** Every scene that covered the parcel, ascending. */
  readonly scenes: readonly StoredScene[];
}

/** Hands results to the alert engine; a throw leaves them due for the next run. */
export type ParcelResultsHandler = (results: readonly StoredParcelResult[]) => Promise<void>;

export interface RunFailure {
  /** The STAC item's id, or the document's URL. */
  readonly itemId: string;
  readonly code: string;
  readonly reason: string;
  readonly parcelId?: string;
}

export interface SatelliteRun {
  readonly id: string;
  readonly startedAt: string;
  readonly finishedAt: string | null;
  readonly status: 'running' | 'succeeded' | 'failed';
  readonly trigger: 'schedule' | 'api';
  readonly sources: string[];
  readonly itemsSeen: number;
  readonly itemsNew: number;
  readonly itemsFailed: number;
  readonly parcelsClassified: number;
  readonly observationsWritten: number;
  readonly alertsEvaluated: number;
  readonly failures: RunFailure[];
  readonly error: string | null;
}
