/**
 * The parcels' checks from space, for the map and for a parcel's page (mounted under
 * `/api/parcels`, before the parcel resource so `status.geojson` is not taken for an id):
 *
 * - `GET /status.geojson?bbox=`: every parcel of the caller's branch (admins: all) with its latest
 *   status and reason, declared against predicted crop, declared against planted area, clear
 *   observations and the last scene's date; `no_observation` before the first result.
 * - `GET /{id}/observations`: the parcel's scenes (NDVI, NDWI, NDRE means, clear pixels, the
 *   prediction as of each scene), NDVI series and markers.
 */
import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import type { AppEnv, Services } from '../app-env.ts';
import { findVisible, type Row } from '../api/crud.ts';
import { parseBbox } from '../api/pagination.ts';
import { createApiRouter } from '../api/router.ts';
import { errorResponses, idParamSchema, polygonalGeometrySchema } from '../api/schemas.ts';
import { branchScope } from '../auth/principal.ts';
import { parcelSelectSql, parcelsSpec } from '../resources/parcels.ts';

const statusValues = [
  'verified',
  'mismatch',
  'area_shortfall',
  'cannot_verify',
  'no_observation',
] as const;

const markerSchema = z.object({
  type: z.enum(['vegetation_loss', 'early_harvest']),
  date: z.string(),
  sceneId: z.string(),
  ndvi: z.number(),
  expectedNdvi: z.number(),
  cropCode: z.number(),
  reason: z.string(),
});

const parcelStatusSchema = z
  .object({
    type: z.literal('Feature'),
    id: z.string().uuid(),
    geometry: polygonalGeometrySchema,
    properties: z.object({
      code: z.string(),
      farmId: z.string().uuid(),
      farmCode: z.string(),
      season: z.string(),
      status: z.enum(statusValues),
      reason: z.string().nullable(),
      declaredCropCode: z.number().nullable(),
      declaredCropName: z.string().nullable(),
      predictedCropCode: z.number().nullable(),
      predictedCropName: z.string().nullable(),
      predictedConfidence: z.number().nullable(),
      declaredAreaM2: z.number().nullable(),
      plantedAreaM2: z.number().nullable(),
      areaM2: z.number(),
      clearObservations: z.number().int(),
      lastSceneAt: z.string().nullable(),
      lastClearAt: z.string().nullable(),
      markers: z.array(markerSchema),
      modelVersion: z.string().nullable(),
      checkedAt: z.string().nullable(),
    }),
  })
  .openapi('ParcelStatus');

const observationsSchema = z
  .object({
    parcelId: z.string().uuid(),
    code: z.string(),
    status: z.enum(statusValues),
    reason: z.string().nullable(),
    observations: z.array(
      z.object({
        observedAt: z.string(),
        sceneId: z.string(),
        clearPixels: z.number().int(),
        totalPixels: z.number().int(),
        ndviMean: z.number().nullable(),
        ndwiMean: z.number().nullable(),
        ndreMean: z.number().nullable(),
        predictedCropCode: z.number().nullable(),
        predictedConfidence: z.number().nullable(),
        classFractions: z.record(z.string(), z.number()).nullable(),
        plantedAreaM2: z.number().nullable(),
        modelVersion: z.string().nullable(),
      }),
    ),
    ndviSeries: z.array(
      z.object({
        date: z.string(),
        sceneId: z.string(),
        ndvi: z.number(),
        clearPixels: z.number(),
      }),
    ),
    markers: z.array(markerSchema),
  })
  .openapi('ParcelObservations');

const statusSelect = `
  select p.*, s.status as check_status, s.reason as check_reason, s.predicted_crop_code,
         pc.name as predicted_crop_name, s.predicted_confidence, s.planted_area_m2,
         s.clear_observations, s.last_scene_at, s.last_clear_at, s.markers, s.ndvi_series,
         s.model_version, s.updated_at as checked_at
    from (${parcelSelectSql}) p
    left join parcel_satellite_status s on s.parcel_id = p.id
    left join crop_types pc on pc.code = s.predicted_crop_code`;

export function createParcelStatusRoutes(services: Services): OpenAPIHono<AppEnv> {
  const app = createApiRouter();
  app.openapi(
    createRoute({
      method: 'get',
      path: '/status.geojson',
      tags: ['parcels'],
      summary: 'Every parcel with its latest check from space (for the map)',
      request: {
        query: z.object({
          bbox: z
            .string()
            .optional()
            .openapi({ description: 'minLng,minLat,maxLng,maxLat', example: '3.0,50.8,3.1,50.9' }),
        }),
      },
      responses: {
        200: {
          description: 'a FeatureCollection; WGS84 [lng, lat]',
          content: {
            'application/geo+json': {
              schema: z.object({
                type: z.literal('FeatureCollection'),
                features: z.array(parcelStatusSchema),
              }),
            },
          },
        },
        ...errorResponses,
      },
    }),
    async (c) => {
      const scope = branchScope(c.get('principal'));
      const { bbox } = c.req.valid('query');
      const box = bbox === undefined ? null : parseBbox(bbox);
      const { rows } = await services.storage.query<Row>(
        `${statusSelect}
          where ($1::uuid is null or p.branch_id = $1::uuid)
            and ($2::float8 is null or (p.max_lng >= $2 and p.min_lng <= $4
                                        and p.max_lat >= $3 and p.min_lat <= $5))
          order by p.farm_code, p.code, p.season`,
        [scope, box?.[0] ?? null, box?.[1] ?? null, box?.[2] ?? null, box?.[3] ?? null],
      );
      const response = c.json(
        { type: 'FeatureCollection' as const, features: rows.map(statusFeature) },
        200,
      );
      response.headers.set('content-type', 'application/geo+json');
      return response;
    },
  );
  app.openapi(
    createRoute({
      method: 'get',
      path: '/{id}/observations',
      tags: ['parcels'],
      summary: 'A parcel’s scenes, NDVI series and markers',
      request: { params: idParamSchema },
      responses: {
        200: {
          description: 'scenes ascending',
          content: { 'application/json': { schema: observationsSchema } },
        },
        ...errorResponses,
      },
    }),
    async (c) => {
      const { id } = c.req.valid('param');
      await findVisible(services.storage, parcelsSpec, c.get('principal'), id);
      const { rows } = await services.storage.query<Row>(`${statusSelect} where p.id = $1`, [id]);
      const row = rows[0] as Row;
      const observations = await services.storage.query<Row>(
        `select observed_at, scene_id, clear_pixels, total_pixels, ndvi_mean, ndwi_mean, ndre_mean,
                predicted_crop_code, predicted_confidence, class_fractions, planted_area_m2,
                model_version
           from parcel_observations where parcel_id = $1 order by observed_at, scene_id`,
        [id],
      );
      return c.json(
        {
          parcelId: id,
          code: String(row['code']),
          status: (row['check_status'] ?? 'no_observation') as (typeof statusValues)[number],
          reason: (row['check_reason'] as string | null) ?? null,
          observations: observations.rows.map((o) => ({
            observedAt: (o['observed_at'] as Date).toISOString(),
            sceneId: String(o['scene_id']),
            clearPixels: Number(o['clear_pixels']),
            totalPixels: Number(o['total_pixels']),
            ndviMean: num(o['ndvi_mean']),
            ndwiMean: num(o['ndwi_mean']),
            ndreMean: num(o['ndre_mean']),
            predictedCropCode: num(o['predicted_crop_code']),
            predictedConfidence: num(o['predicted_confidence']),
            classFractions: (o['class_fractions'] as Record<string, number> | null) ?? null,
            plantedAreaM2: num(o['planted_area_m2']),
            modelVersion: (o['model_version'] as string | null) ?? null,
          })),
          ndviSeries:
            (row['ndvi_series'] as z.infer<typeof observationsSchema>['ndviSeries']) ?? [],
          markers: (row['markers'] as z.infer<typeof markerSchema>[] | null) ?? [],
        },
        200,
      );
    },
  );
  return app;
}

function statusFeature(row: Row): z.infer<typeof parcelStatusSchema> {
  return {
    type: 'Feature',
    id: String(row['id']),
    geometry: row['geometry'] as z.infer<typeof polygonalGeometrySchema>,
    properties: {
      code: String(row['code']),
      farmId: String(row['farm_id']),
      farmCode: String(row['farm_code']),
      season: String(row['season']),
      status: (row['check_status'] ?? 'no_observation') as (typeof statusValues)[number],
      reason: (row['check_reason'] as string | null) ?? null,
      declaredCropCode: num(row['declared_crop_code']),
      declaredCropName: (row['declared_crop_name'] as string | null) ?? null,
      predictedCropCode: num(row['predicted_crop_code']),
      predictedCropName: (row['predicted_crop_name'] as string | null) ?? null,
      predictedConfidence: num(row['predicted_confidence']),
      declaredAreaM2: num(row['declared_area_m2']),
      plantedAreaM2: num(row['planted_area_m2']),
      areaM2: Number(row['area_m2']),
      clearObservations: Number(row['clear_observations'] ?? 0),
      lastSceneAt: iso(row['last_scene_at']),
      lastClearAt: iso(row['last_clear_at']),
      markers: (row['markers'] as z.infer<typeof markerSchema>[] | null) ?? [],
      modelVersion: (row['model_version'] as string | null) ?? null,
      checkedAt: iso(row['checked_at']),
    },
  };
}

function num(value: unknown): number | null {
  return value === null || value === undefined ? null : Number(value);
}

function iso(value: unknown): string | null {
  return value instanceof Date ? value.toISOString() : null;
}
