/**
 * `GET /api/animal-positions`: the latest fix of each ear tag that reported from a farm of the
 * caller's branch (admins: all) within `maxAgeMs` (default 24 h), for the map's live animal layer.
 * One row per tag: `[lng, lat]`, when, the reporting farm and, when the tag is pledged, its herd.
 */
import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import type { AppEnv, Services } from '../app-env.ts';
import { createApiRouter } from '../api/router.ts';
import { errorResponses } from '../api/schemas.ts';
import { branchScope } from '../auth/principal.ts';

/** Fixes older than this are not positions any more (a day, unless asked otherwise). */
const DEFAULT_MAX_AGE_MS = 24 * 3_600_000;
const MAX_AGE_LIMIT_MS = 30 * 24 * 3_600_000;

const querySchema = z.object({
  maxAgeMs: z.coerce
    .number()
    .int()
    .min(1)
    .max(MAX_AGE_LIMIT_MS)
    .optional()
    .openapi({ description: 'only fixes at most this old, in ms (default 86400000)' }),
});

const positionsSchema = z
  .object({
    at: z.string(),
    items: z.array(
      z.object({
        tagCode: z.string(),
        lng: z.number(),
        lat: z.number(),
        observedAt: z.string(),
        farmId: z.string().uuid(),
        herdId: z.string().uuid().nullable(),
      }),
    ),
  })
  .openapi('AnimalPositions');

export type AnimalPositionsView = z.infer<typeof positionsSchema>;

interface PositionRow {
  tag_code: string;
  lng: number;
  lat: number;
  observed_at: Date;
  farm_id: string;
  herd_id: string | null;
}

export function createAnimalPositionRoutes(services: Services): OpenAPIHono<AppEnv> {
  const app = createApiRouter();
  app.openapi(
    createRoute({
      method: 'get',
      path: '/',
      tags: ['herds'],
      summary: 'The latest fix of each ear tag seen on your branch’s farms',
      request: { query: querySchema },
      responses: {
        200: {
          description: 'one position per tag',
          content: { 'application/json': { schema: positionsSchema } },
        },
        ...errorResponses,
      },
    }),
    async (c) => {
      const principal = c.get('principal');
      const { maxAgeMs = DEFAULT_MAX_AGE_MS } = c.req.valid('query');
      const at = new Date();
      const scope = branchScope(principal);
      const { rows } = await services.storage.query<PositionRow>(
        `select distinct on (r.tag_code) r.tag_code, r.lon as lng, r.lat, r.observed_at,
                r.farm_id,
                (select e.herd_id from ear_tags e
                  where e.tag_code = r.tag_code and e.unbound_at is null
                  order by e.bound_at desc limit 1) as herd_id
           from tag_readings r
           join farms f on f.id = r.farm_id
           join borrowers b on b.id = f.borrower_id
          where r.observed_at > $1 and r.observed_at <= $2
            and ($3::uuid is null or b.branch_id = $3::uuid)
          order by r.tag_code, r.observed_at desc`,
        [new Date(at.getTime() - maxAgeMs), at, scope],
      );
      return c.json(
        {
          at: at.toISOString(),
          items: rows.map((row) => ({
            tagCode: row.tag_code,
            lng: Number(row.lng),
            lat: Number(row.lat),
            observedAt: new Date(row.observed_at).toISOString(),
            farmId: row.farm_id,
            herdId: row.herd_id,
          })),
        },
        200,
      );
    },
  );
  return app;
}
