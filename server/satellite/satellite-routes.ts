/**
 * `/api/satellite/runs`: the satellite job's runs. `GET` lists the latest (counts and the items
 * that failed, with their reasons); `POST` runs the job now and answers the finished run, or 409
 * while another service instance on the same database runs it (the job's lease).
 * Supervisors and admins only: a run covers every branch's parcels (it names scenes, not parcels).
 */
import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import type { AppEnv, Services } from '../app-env.ts';
import { requireRole } from '../api/crud.ts';
import type { Principal } from '../auth/principal.ts';
import { createApiRouter } from '../api/router.ts';
import { errorResponses } from '../api/schemas.ts';
import { satelliteJobFor } from './job-for.ts';
import { listRuns } from './runs.ts';
import type { SatelliteRun } from './types.ts';

const runSchema = z
  .object({
    id: z.string(),
    startedAt: z.string(),
    finishedAt: z.string().nullable(),
    status: z.enum(['running', 'succeeded', 'failed']),
    trigger: z.enum(['schedule', 'api']),
    sources: z.array(z.string()),
    itemsSeen: z.number().int().openapi({ description: 'STAC items found in the sources' }),
    itemsNew: z.number().int().openapi({ description: 'items the job had not seen before' }),
    itemsFailed: z.number().int(),
    parcelsClassified: z.number().int(),
    observationsWritten: z
      .number()
      .int()
      .openapi({ description: 'new parcel_observations rows (parcel x scene)' }),
    alertsEvaluated: z.number().int().openapi({ description: 'parcel results handed to alerts' }),
    failures: z.array(
      z.object({
        itemId: z.string(),
        code: z.string().openapi({ example: 'truncated_cog' }),
        reason: z.string(),
        parcelId: z.string().optional(),
      }),
    ),
    error: z.string().nullable().openapi({ description: 'why the run failed as a whole' }),
  })
  .openapi('SatelliteRun');

export function createSatelliteRoutes(services: Services): OpenAPIHono<AppEnv> {
  const app = createApiRouter();
  app.openapi(
    createRoute({
      method: 'get',
      path: '/runs',
      tags: ['satellite'],
      summary: 'The latest runs of the satellite job',
      request: {
        query: z.object({ limit: z.coerce.number().int().min(1).max(200).optional() }),
      },
      responses: {
        200: {
          description: 'newest first',
          content: { 'application/json': { schema: z.object({ items: z.array(runSchema) }) } },
        },
        ...errorResponses,
      },
    }),
    async (c) => {
      requireRole(c.get('principal'), 'supervisor', 'read satellite runs');
      const { limit } = c.req.valid('query');
      const runs = await listRuns(services.storage, limit ?? 20);
      return c.json({ items: runs.map((run) => forPrincipal(run, c.get('principal'))) }, 200);
    },
  );
  app.openapi(
    createRoute({
      method: 'post',
      path: '/runs',
      tags: ['satellite'],
      summary: 'Run the satellite job now (after the run in progress, if any)',
      responses: {
        201: {
          description: 'the finished run (status failed, with the error, if it failed)',
          content: { 'application/json': { schema: runSchema } },
        },
        ...errorResponses,
        409: {
          ...errorResponses[409],
          description:
            'another service instance is running the job: the message names it and when its lease expires',
        },
      },
    }),
    async (c) => {
      const principal = c.get('principal');
      requireRole(principal, 'supervisor', 'run the satellite job');
      const job = await satelliteJobFor(services);
      return c.json(
        forPrincipal(await job.runNow({ requestedBy: principal.userId }), principal),
        201,
      );
    },
  );
  return app;
}

/** A run covers every branch: only admins see the failures that name a parcel. */
function forPrincipal(run: SatelliteRun, principal: Principal): SatelliteRun {
  if (principal.role === 'admin') return run;
  return { ...run, failures: run.failures.filter((f) => f.parcelId === undefined) };
}
