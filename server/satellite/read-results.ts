/** Reading the satellite job's stored results back, for the alert hand-off and the API. */
import type { Queryable } from '../db/storage.ts';
import type {
  ParcelCheckStatus,
  StoredMarker,
  StoredNdviPoint,
  StoredParcelResult,
  StoredScene,
} from './types.ts';

interface StatusRow {
  parcel_id: string;
  status: ParcelCheckStatus;
  reason: string;
  predicted_crop_code: number | null;
  predicted_confidence: number | null;
  planted_area_m2: number | null;
  clear_observations: number;
  last_scene_at: Date | null;
  last_clear_at: Date | null;
  markers: StoredMarker[];
  ndvi_series: StoredNdviPoint[];
  updated_at: Date;
}

/** A due result and the version it was read at. */
export interface DueResult {
  readonly result: StoredParcelResult;
  readonly updatedAt: Date;
}

/** Results never handed to the alert engine, or changed since, with their scenes. */
export async function loadDueResults(db: Queryable): Promise<DueResult[]> {
  const { rows } = await db.query<StatusRow>(
    `select parcel_id, status, reason, predicted_crop_code, predicted_confidence, planted_area_m2,
            clear_observations, last_scene_at, last_clear_at, markers, ndvi_series, updated_at
       from parcel_satellite_status
      where alerts_evaluated_at is null or alerts_evaluated_at < updated_at
      order by parcel_id`,
  );
  if (rows.length === 0) return [];
  const scenes = await loadScenes(
    db,
    rows.map((r) => r.parcel_id),
  );
  return rows.map((row) => ({
    result: toResult(row, scenes.get(row.parcel_id) ?? []),
    updatedAt: row.updated_at,
  }));
}

export async function markResultsEvaluated(
  db: Queryable,
  due: readonly DueResult[],
): Promise<void> {
  if (due.length === 0) return;
  await db.query(
    // Dates come back in milliseconds, the column keeps microseconds.
    `update parcel_satellite_status s set alerts_evaluated_at = s.updated_at
       from unnest($1::uuid[], $2::timestamptz[]) as d(parcel_id, updated_at)
      where s.parcel_id = d.parcel_id
        and date_trunc('milliseconds', s.updated_at) = d.updated_at`,
    [due.map((d) => d.result.parcelId), due.map((d) => d.updatedAt.toISOString())],
  );
}

/** Each parcel's scenes from parcel_observations, ascending. */
export async function loadScenes(
  db: Queryable,
  parcelIds: readonly string[],
): Promise<Map<string, StoredScene[]>> {
  const { rows } = await db.query<{
    parcel_id: string;
    scene_id: string;
    observed_at: Date;
    clear_pixels: number;
    total_pixels: number;
    ndvi_mean: number | null;
  }>(
    `select parcel_id, scene_id, observed_at, clear_pixels, total_pixels, ndvi_mean
       from parcel_observations where parcel_id = any($1::uuid[])
      order by parcel_id, observed_at, scene_id`,
    [[...parcelIds]],
  );
  const out = new Map<string, StoredScene[]>();
  for (const row of rows) {
    const list = out.get(row.parcel_id) ?? [];
    list.push({
      sceneId: row.scene_id,
      observedAt: row.observed_at.toISOString(),
      clearPixels: Number(row.clear_pixels),
      totalPixels: Number(row.total_pixels),
      ndviMean: row.ndvi_mean === null ? null : Number(row.ndvi_mean),
    });
    out.set(row.parcel_id, list);
  }
  return out;
}

function toResult(row: StatusRow, scenes: StoredScene[]): StoredParcelResult {
  return {
    parcelId: row.parcel_id,
    status: row.status,
    reason: row.reason,
    predictedCropCode: row.predicted_crop_code === null ? null : Number(row.predicted_crop_code),
    predictedConfidence:
      row.predicted_confidence === null ? null : Number(row.predicted_confidence),
    plantedAreaM2: row.planted_area_m2 === null ? null : Number(row.planted_area_m2),
    clearObservations: Number(row.clear_observations),
    lastSceneAt: row.last_scene_at,
    lastClearAt: row.last_clear_at,
    markers: row.markers,
    ndviSeries: row.ndvi_series,
    scenes,
  };
}
