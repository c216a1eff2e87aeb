/**
 * `GET /api/export/portfolio.geojson`: the caller's branch portfolio (an admin's: every branch) as
 * one GeoJSON FeatureCollection of farms and parcels, for a GIS or a land-register system.
 *
 * Properties are snake_case, in the vocabulary the imports read, so a farm's parcels exported here
 * import unchanged into another farm of the same borrower (`POST /api/farms/{id}/parcels/import`).
 * Each feature says what it is in `kind` ('farm' | 'parcel'); each import refuses the other kind.
 * The measured area is `measured_area_m2`, so it is never read back as the declared area.
 */
import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import type { AppEnv, Services } from '../app-env.ts';
import { createApiRouter } from '../api/router.ts';
import { errorResponses, polygonalGeometrySchema } from '../api/schemas.ts';
import { branchScope } from '../auth/principal.ts';
import type { Row } from '../api/crud.ts';
import { farmSelectSql } from './farms.ts';
import { parcelSelectSql } from './parcels.ts';

const exportFeatureSchema = z
  .object({
    type: z.literal('Feature'),
    id: z.string().uuid(),
    geometry: polygonalGeometrySchema,
    properties: z
      .object({ kind: z.enum(['farm', 'parcel']) })
      .catchall(z.unknown())
      .openapi({
        description:
          'farm: code, name, borrower_id, borrower_ref, borrower_name, branch_code, area_m2. ' +
          'parcel: code, farm_id, farm_code, borrower_id, borrower_ref, branch_code, loan_id, loan_reference, ' +
          'crop_code, crop_name, declared_area_m2, measured_area_m2, season, season_start, season_end.',
      }),
  })
  .openapi('PortfolioFeature');

const portfolioSchema = z
  .object({
    type: z.literal('FeatureCollection'),
    name: z.string(),
    exportedAt: z.string(),
    features: z.array(exportFeatureSchema),
  })
  .openapi('Portfolio');

export function exportRoutes(services: Services): OpenAPIHono<AppEnv> {
  const app = createApiRouter();
  app.openapi(
    createRoute({
      method: 'get',
      path: '/portfolio.geojson',
      tags: ['export'],
      summary: 'Export the portfolio (farms and parcels) as GeoJSON',
      responses: {
        200: {
          description: 'farms, then parcels by farm; WGS84 [lng, lat] (RFC 7946)',
          content: { 'application/geo+json': { schema: portfolioSchema } },
        },
        ...errorResponses,
      },
    }),
    async (c) => {
      const scope = branchScope(c.get('principal'));
      const farms = await services.storage.query<Row>(
        `select * from (${farmSelectSql}) f
         where $1::uuid is null or f.branch_id = $1::uuid
         order by f.code`,
        [scope],
      );
      const parcels = await services.storage.query<Row>(
        `select p.*, br.code as branch_code from (${parcelSelectSql}) p
         join branches br on br.id = p.branch_id
         where $1::uuid is null or p.branch_id = $1::uuid
         order by p.farm_code, p.code, p.season`,
        [scope],
      );
      const exportedAt = new Date();
      const collection = {
        type: 'FeatureCollection' as const,
        name: 'pledgewatch-portfolio',
        exportedAt: exportedAt.toISOString(),
        features: [...farms.rows.map(farmExportFeature), ...parcels.rows.map(parcelExportFeature)],
      };
      const day = exportedAt.toISOString().slice(0, 10);
      c.header(
        'content-disposition',
        `attachment; filename="pledgewatch-portfolio-${day}.geojson"`,
      );
      const response = c.json(collection as z.infer<typeof portfolioSchema>, 200);
      response.headers.set('content-type', 'application/geo+json');
      return response;
    },
  );
  return app;
}

function farmExportFeature(row: Row) {
  return {
    type: 'Feature' as const,
    id: String(row['id']),
    geometry: row['boundary'],
    properties: {
      kind: 'farm' as const,
      code: row['code'],
      name: row['name'],
      borrower_id: row['borrower_id'],
      borrower_ref: row['borrower_ref'],
      borrower_name: row['borrower_name'],
      branch_code: row['branch_code'],
      area_m2: row['area_m2'],
    },
  };
}

function parcelExportFeature(row: Row) {
  const crop = row['declared_crop_code'];
  return {
    type: 'Feature' as const,
    id: String(row['id']),
    geometry: row['geometry'],
    properties: {
      kind: 'parcel' as const,
      code: row['code'],
      farm_id: row['farm_id'],
      farm_code: row['farm_code'],
      borrower_id: row['borrower_id'],
      borrower_ref: row['borrower_ref'],
      branch_code: row['branch_code'],
      loan_id: row['loan_id'] ?? null,
      loan_reference: row['loan_reference'] ?? null,
      crop_code: crop == null ? null : Number(crop),
      crop_name: row['declared_crop_name'] ?? null,
      declared_area_m2: row['declared_area_m2'] ?? null,
      measured_area_m2: row['area_m2'],
      season: row['season'],
      season_start: row['season_start'] ?? null,
      season_end: row['season_end'] ?? null,
    },
  };
}
