/**
 * The satellite job's writes for one classified chunk of parcels, in the caller's transaction:
 * the per-scene rows of `parcel_observations` (idempotent on (parcel_id, observed_at, scene_id):
 * a scene already stored for a parcel is kept as first written), each parcel's latest result, its
 * map raster, and which items the parcels were classified with.
 */
import type { ParcelCropResult } from '../../ingest/index.ts';
import type { Queryable } from '../db/storage.ts';
import type { ParcelRaster } from './parcel-rasters.ts';

/** Inserts the scenes of the results; returns the number of rows written (new scenes only). */
export async function insertParcelObservations(
  tx: Queryable,
  results: readonly ParcelCropResult[],
  knownCropCodes: ReadonlySet<number>,
): Promise<number> {
  const rows = results.flatMap((result) => {
    const crop =
      result.predictedCropCode !== null && knownCropCodes.has(result.predictedCropCode)
        ? result.predictedCropCode
        : null;
    const fractions = Object.keys(result.classFractions).length > 0 ? result.classFractions : null;
    return result.observations.map((scene) => ({
      observedAt: scene.date.toISOString(),
      parcelId: result.parcelId,
      sceneId: scene.sceneId,
      clearPixels: scene.clearPixels,
      totalPixels: scene.totalPixels,
      ndvi: scene.ndviMean,
      ndwi: scene.ndwiMean,
      ndre: scene.ndreMean,
      crop,
      confidence: clamp01(result.predictedConfidence),
      fractions: fractions === null ? null : JSON.stringify(fractions),
      plantedAreaM2: result.plantedAreaM2 === null ? null : Math.max(0, result.plantedAreaM2),
      modelVersion: result.modelVersion,
    }));
  });
  if (rows.length === 0) return 0;
  const { rowCount } = await tx.query(
    `insert into parcel_observations
       (observed_at, parcel_id, scene_id, clear_pixels, total_pixels, ndvi_mean, ndwi_mean,
        ndre_mean, predicted_crop_code, predicted_confidence, class_fractions, planted_area_m2,
        model_version)
     select * from unnest($1::timestamptz[], $2::uuid[], $3::text[], $4::int[], $5::int[],
                          $6::real[], $7::real[], $8::real[], $9::int[], $10::real[], $11::jsonb[],
                          $12::float8[], $13::text[])
     on conflict (parcel_id, observed_at, scene_id) do nothing`,
    [
      rows.map((r) => r.observedAt),
      rows.map((r) => r.parcelId),
      rows.map((r) => r.sceneId),
      rows.map((r) => r.clearPixels),
      rows.map((r) => r.totalPixels),
      rows.map((r) => finiteOrNull(r.ndvi)),
      rows.map((r) => finiteOrNull(r.ndwi)),
      rows.map((r) => finiteOrNull(r.ndre)),
      rows.map((r) => r.crop),
      rows.map((r) => r.confidence),
      rows.map((r) => r.fractions),
      rows.map((r) => r.plantedAreaM2),
      rows.map((r) => r.modelVersion),
    ],
  );
  return rowCount;
}

/** Upserts each parcel's latest result (and makes it due for the alert hand-off). */
export async function upsertParcelStatus(
  tx: Queryable,
  results: readonly ParcelCropResult[],
  runId: string,
): Promise<void> {
  for (const result of results) {
    const dates = result.observations.map((o) => o.date.getTime());
    const lastScene = dates.length === 0 ? null : new Date(Math.max(...dates));
    const lastClear = result.ndviSeries[result.ndviSeries.length - 1]?.date ?? null;
    await tx.query(
      `insert into parcel_satellite_status
         (parcel_id, status, reason, predicted_crop_code, predicted_confidence, class_fractions,
          planted_area_m2, clear_observations, last_scene_at, last_clear_at, markers, ndvi_series,
          model_version, run_id, updated_at, alerts_evaluated_at)
       values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, now(), null)
       on conflict (parcel_id) do update set
         status = excluded.status, reason = excluded.reason,
         predicted_crop_code = excluded.predicted_crop_code,
         predicted_confidence = excluded.predicted_confidence,
         class_fractions = excluded.class_fractions, planted_area_m2 = excluded.planted_area_m2,
         clear_observations = excluded.clear_observations, last_scene_at = excluded.last_scene_at,
         last_clear_at = excluded.last_clear_at, markers = excluded.markers,
         ndvi_series = excluded.ndvi_series, model_version = excluded.model_version,
         run_id = excluded.run_id, updated_at = now(), alerts_evaluated_at = null`,
      [
        result.parcelId,
        result.status,
        result.statusReason,
        result.predictedCropCode,
        clamp01(result.predictedConfidence),
        Object.keys(result.classFractions).length > 0
          ? JSON.stringify(result.classFractions)
          : null,
        result.plantedAreaM2 === null ? null : Math.max(0, result.plantedAreaM2),
        result.clearObservations,
        lastScene,
        lastClear,
        JSON.stringify(
          result.markers.map((m) => ({
            type: m.type,
            date: m.date.toISOString(),
            sceneId: m.sceneId,
            ndvi: m.ndvi,
            expectedNdvi: m.expectedNdvi,
            cropCode: m.cropCode,
            reason: m.reason,
          })),
        ),
        JSON.stringify(
          result.ndviSeries.map((p) => ({
            date: p.date.toISOString(),
            sceneId: p.sceneId,
            ndvi: p.mean,
            clearPixels: p.clearPixels,
          })),
        ),
        result.modelVersion,
        runId,
      ],
    );
  }
}

/** Upserts the parcels' map rasters. */
export async function upsertParcelRasters(
  tx: Queryable,
  rasters: readonly ParcelRaster[],
): Promise<void> {
  for (const raster of rasters) {
    await tx.query(
      `insert into parcel_rasters
         (parcel_id, epsg, transform, width, height, crop_codes, ndvi, min_lng, min_lat, max_lng,
          max_lat, updated_at)
       values ($1, $2, $3, $4, $5, decode($6, 'hex'), decode($7, 'hex'), $8, $9, $10, $11, now())
       on conflict (parcel_id) do update set
         epsg = excluded.epsg, transform = excluded.transform, width = excluded.width,
         height = excluded.height, crop_codes = excluded.crop_codes, ndvi = excluded.ndvi,
         min_lng = excluded.min_lng, min_lat = excluded.min_lat, max_lng = excluded.max_lng,
         max_lat = excluded.max_lat, updated_at = now()`,
      [
        raster.parcelId,
        raster.epsg,
        JSON.stringify(raster.transform),
        raster.width,
        raster.height,
        littleEndianHex(raster.cropCodes),
        littleEndianHex(raster.ndvi),
        ...raster.bbox,
      ],
    );
  }
}

/** Records that the parcels were classified with the items. */
export async function markItemsProcessed(
  tx: Queryable,
  pairs: readonly { parcelId: string; itemId: string }[],
  runId: string,
): Promise<void> {
  if (pairs.length === 0) return;
  await tx.query(
    `insert into satellite_parcel_items (parcel_id, item_id, run_id)
     select parcel_id, item_id, $3 from unnest($1::uuid[], $2::text[]) as p(parcel_id, item_id)
     on conflict (parcel_id, item_id) do nothing`,
    [pairs.map((p) => p.parcelId), pairs.map((p) => p.itemId), runId],
  );
}

/** Typed array bytes as hex, little-endian (what `decode(..., 'hex')` stores as bytea). */
export function littleEndianHex(values: Uint16Array | Int16Array): string {
  const buffer = Buffer.alloc(values.length * 2);
  for (let i = 0; i < values.length; i++) {
    if (values instanceof Uint16Array) buffer.writeUInt16LE(values[i] ?? 0, i * 2);
    else buffer.writeInt16LE(values[i] ?? 0, i * 2);
  }
  return buffer.toString('hex');
}

function clamp01(value: number | null): number | null {
  return value === null || !Number.isFinite(value) ? null : Math.min(1, Math.max(0, value));
}

function finiteOrNull(value: number | null): number | null {
  return value === null || !Number.isFinite(value) ? null : value;
}
