/**
 * `GET /api/herds/{id}/counts?from=&to=`: a herd's head count over time, hour by hour: in each
 * hour, the distinct pledged tags with at least one fix inside the farm's geofence (or within
 * `marginM`, default 10 m, outside it, as `GET /api/herds/{id}/state` counts), next to the pledge.
 * For the map's herd chart. Defaults to the last 24 hours; at most 31 days at once.
 */
import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import {
  distanceToBoundaryM,
  isPointInPolygon,
  type MultiPolygon,
  type Polygon,
} from '../../geo/index.ts';
import type { AppEnv, Services } from '../app-env.ts';
import { findVisible } from '../api/crud.ts';
import { createApiRouter } from '../api/router.ts';
import { errorResponses, idParamSchema } from '../api/schemas.ts';
import { InvalidInputError } from '../errors.ts';
import { herdsSpec } from '../resources/herds.ts';
import { timestampSchema } from '../resources/field-rules.ts';

const HOUR_MS = 3_600_000;
const MAX_RANGE_MS = 31 * 24 * HOUR_MS;
const DEFAULT_MARGIN_M = 10;

const querySchema = z.object({
  from: timestampSchema.optional().openapi({ description: 'start (default: 24 h before `to`)' }),
  to: timestampSchema.optional().openapi({ description: 'end (default: now)' }),
  marginM: z.coerce.number().min(0).max(1000).optional(),
});

const countsSchema = z
  .object({
    herdId: z.string().uuid(),
    pledgedHeadCount: z.number().int(),
    bucketMs: z.number().int(),
    buckets: z.array(z.object({ start: z.string(), headCount: z.number().int() })),
  })
  .openapi('HerdCounts');

export type HerdCountsView = z.infer<typeof countsSchema>;

export function createHerdCountRoutes(services: Services): OpenAPIHono<AppEnv> {
  const app = createApiRouter();
  app.openapi(
    createRoute({
      method: 'get',
      path: '/{id}/counts',
      tags: ['herds'],
      summary: 'A herd’s head count per hour (distinct pledged tags inside the geofence)',
      request: { params: idParamSchema, query: querySchema },
      responses: {
        200: {
          description: 'hourly counts, oldest first',
          content: { 'application/json': { schema: countsSchema } },
        },
        ...errorResponses,
      },
    }),
    async (c) => {
      const { id } = c.req.valid('param');
      const query = c.req.valid('query');
      const db = services.storage;
      const herd = await findVisible(db, herdsSpec, c.get('principal'), id);
      const toMs = query.to === undefined ? Date.now() : Date.parse(query.to);
      const fromMs = query.from === undefined ? toMs - 24 * HOUR_MS : Date.parse(query.from);
      if (!(fromMs < toMs) || toMs - fromMs > MAX_RANGE_MS)
        throw new InvalidInputError(
          `from ${new Date(fromMs).toISOString()} to ${new Date(toMs).toISOString()}: from must be before to, at most 31 days apart`,
        );
      const marginM = query.marginM ?? DEFAULT_MARGIN_M;
      const firstBucketMs = Math.floor(fromMs / HOUR_MS) * HOUR_MS;
      const { rows: farms } = await db.query<{ boundary: Polygon | MultiPolygon }>(
        'select boundary from farms where id = $1',
        [String(herd['farm_id'])],
      );
      const boundary = farms[0]?.boundary;
      const { rows } = await db.query<{
        tag_code: string;
        observed_at: Date;
        lon: number;
        lat: number;
      }>(
        `select r.tag_code, r.observed_at, r.lon, r.lat
           from tag_readings r
           join ear_tags e on e.tag_code = r.tag_code and e.herd_id = $1
            and e.bound_at <= r.observed_at and (e.unbound_at is null or e.unbound_at > r.observed_at)
          where r.observed_at >= $2 and r.observed_at < $3`,
        [id, new Date(firstBucketMs), new Date(toMs)],
      );
      const inside = new Map<number, Set<string>>();
      for (const row of rows) {
        if (boundary === undefined) break;
        const at: [number, number] = [Number(row.lon), Number(row.lat)];
        const isIn = isPointInPolygon(at, boundary) || distanceToBoundaryM(at, boundary) <= marginM;
        if (!isIn) continue;
        const bucket = Math.floor(new Date(row.observed_at).getTime() / HOUR_MS) * HOUR_MS;
        let tags = inside.get(bucket);
        if (tags === undefined) inside.set(bucket, (tags = new Set()));
        tags.add(row.tag_code);
      }
      const buckets: HerdCountsView['buckets'] = [];
      for (let start = firstBucketMs; start < toMs; start += HOUR_MS)
        buckets.push({
          start: new Date(start).toISOString(),
          headCount: inside.get(start)?.size ?? 0,
        });
      return c.json(
        {
          herdId: id,
          pledgedHeadCount: Number(herd['pledged_head_count']),
          bucketMs: HOUR_MS,
          buckets,
        },
        200,
      );
    },
  );
  return app;
}
