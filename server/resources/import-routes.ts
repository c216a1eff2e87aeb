/**
 * Bulk import from GeoJSON, the way a bank exports its land register:
 * `POST /api/farms/import` (farms) and `POST /api/farms/{farmId}/parcels/import` (parcels of one
 * farm). The answer reports, per feature, whether it was accepted or rejected and why; nothing of a
 * rejected feature is written; accepted ones are written in one transaction. `?dryRun=true` only
 * checks. Mounted under `/api/farms`.
 */
import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import type { MiddlewareHandler } from 'hono';
import type { AppEnv, Services } from '../app-env.ts';
import type { BodyLimitRule } from '../api/body-limits.ts';
import { findVisible, requireRole } from '../api/crud.ts';
import { createApiRouter } from '../api/router.ts';
import { errorResponses } from '../api/schemas.ts';
import { InvalidInputError } from '../errors.ts';
import { farmsSpec } from './farms.ts';
import { importFarms } from './import-farms.ts';
import { importParcels } from './import-parcels.ts';
import { importReportSchema } from './import-report.ts';

/** Largest import body: a register of thousands of parcels is well over the usual 1 MiB. */
export const IMPORT_BODY_LIMIT_BYTES = 20 * 1024 * 1024;
/** Most features in one import. */
export const MAX_IMPORT_FEATURES = 10_000;

/** The import routes' larger body limit, for `limitRequestBodies` in the app. */
export const importBodyLimits: readonly BodyLimitRule[] = [
  { method: 'POST', path: /^\/api\/farms\/import$/, maxBytes: IMPORT_BODY_LIMIT_BYTES },
  {
    method: 'POST',
    path: /^\/api\/farms\/[^/]+\/parcels\/import$/,
    maxBytes: IMPORT_BODY_LIMIT_BYTES,
  },
];

const featureCollectionSchema = z
  .object({
    type: z.literal('FeatureCollection'),
    crs: z.unknown().optional().openapi({
      description: 'legacy GeoJSON member; if present it must name WGS84 (CRS84 or EPSG:4326)',
    }),
    features: z
      .array(
        z.unknown().openapi({
          description:
            'a GeoJSON Feature: Polygon or MultiPolygon geometry in WGS84 [lng, lat]; each is checked and reported on its own',
        }),
      )
      .min(1)
      .max(MAX_IMPORT_FEATURES),
  })
  .openapi('ImportFeatureCollection', {
    example: {
      type: 'FeatureCollection',
      features: [
        {
          type: 'Feature',
          properties: { parcel_id: 'P-01', crop_code: 1200, area_m2: 25_000, season: 2018 },
          geometry: {
            type: 'Polygon',
            coordinates: [
              [
                [3.02, 50.81],
                [3.022, 50.81],
                [3.022, 50.812],
                [3.02, 50.812],
                [3.02, 50.81],
              ],
            ],
          },
        },
      ],
    },
  });

const dryRunQuerySchema = z.object({
  dryRun: z
    .enum(['true', 'false'])
    .optional()
    .openapi({ description: 'true: check every feature and report, write nothing' }),
});

const farmIdParamSchema = z.object({
  farmId: z
    .string()
    .uuid()
    .openapi({
      param: { name: 'farmId', in: 'path' },
      example: '3f1c2a9e-6a43-4d7e-9a38-2f0b6f4c1d20',
    }),
});

const reportResponse = {
  200: {
    description:
      'every feature’s outcome; accepted features are written (unless dryRun), rejected ones are not',
    content: { 'application/json': { schema: importReportSchema } },
  },
  ...errorResponses,
};

export function importRoutes(services: Services): OpenAPIHono<AppEnv> {
  const app = createApiRouter();

  app.openapi(
    createRoute({
      method: 'post',
      path: '/import',
      tags: ['farms'],
      summary: 'Import farms from a GeoJSON FeatureCollection',
      description:
        'Feature properties: `code`, `name`, `borrower_id` or `borrower_ref`; the geometry is the farm boundary. ' +
        'Each feature is accepted or rejected on its own, with every problem named; nothing of a rejected feature is written.',
      request: {
        query: dryRunQuerySchema,
        body: {
          content: { 'application/json': { schema: featureCollectionSchema } },
          required: true,
        },
      },
      responses: reportResponse,
    }),
    async (c) => {
      const principal = c.get('principal');
      requireRole(principal, 'officer', 'import farms');
      const body = c.req.valid('json');
      requireWgs84(body.crs);
      const dryRun = c.req.valid('query').dryRun === 'true';
      const context = { principal, requestId: c.get('requestId') };
      const report = await services.storage.transaction((tx) =>
        importFarms(tx, { features: body.features, context, dryRun }),
      );
      return c.json(report, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/{farmId}/parcels/import',
      tags: ['parcels'],
      summary: 'Import a land register’s parcels into a farm',
      description:
        'Feature properties: `code` or `parcel_id`; `crop_code` (WorldCereal); `declared_area_m2` or `area_m2`; ' +
        '`season` (required); `season_start`, `season_end` (YYYY-MM-DD); `loan_id` or `loan_reference` (a loan of ' +
        'the farm’s borrower). Parcels outside the farm boundary are accepted with a warning.',
      // Before the body is read: another branch's farm is a 404 whatever the body holds.
      middleware: [farmMustBeVisible(services)],
      request: {
        params: farmIdParamSchema,
        query: dryRunQuerySchema,
        body: {
          content: { 'application/json': { schema: featureCollectionSchema } },
          required: true,
        },
      },
      responses: reportResponse,
    }),
    async (c) => {
      const principal = c.get('principal');
      requireRole(principal, 'officer', 'import parcels');
      const body = c.req.valid('json');
      requireWgs84(body.crs);
      const dryRun = c.req.valid('query').dryRun === 'true';
      const { farmId } = c.req.valid('param');
      const context = { principal, requestId: c.get('requestId') };
      const report = await services.storage.transaction((tx) =>
        importParcels(tx, { farmId, features: body.features, context, dryRun }),
      );
      return c.json(report, 200);
    },
  );

  return app;
}

function farmMustBeVisible(services: Services): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const farmId = c.req.param('farmId') ?? '';
    // A malformed id is left to the parameter validation (400).
    if (z.string().uuid().safeParse(farmId).success) {
      await findVisible(services.storage, farmsSpec, c.get('principal'), farmId);
    }
    await next();
  };
}

/** RFC 7946 GeoJSON is WGS84; a legacy `crs` naming anything else (Lambert 72...) is refused. */
function requireWgs84(crs: unknown): void {
  if (crs === undefined || crs === null) return;
  const name = (crs as { properties?: { name?: unknown } }).properties?.name;
  if (typeof name === 'string' && /(CRS84|EPSG:{1,2}4326)$/i.test(name)) return;
  const path = 'json.crs';
  const message = `${path}: ${JSON.stringify(name ?? crs)} is not WGS84 longitude/latitude: reproject the register to EPSG:4326 (RFC 7946) before importing`;
  throw new InvalidInputError(message, {
    details: [{ path, rule: 'unsupported_crs', message }],
  });
}
