/**
 * `GET /api/herds/{id}/state`: the herd's head count, camera counts, reconciliation and liveness
 * conditions at a moment (see `herd-state.ts` for the rules). Mounted under `/api/herds`. A herd of
 * another branch is a 404 like everywhere; the herds and farms of other branches that a double pledge
 * or a fix points at are shown without their ids (`herdId`, `herdCode`, `farmId` null).
 */
import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import type { AppEnv, Services } from '../app-env.ts';
import { findVisible } from '../api/crud.ts';
import { createApiRouter } from '../api/router.ts';
import { errorResponses, idParamSchema } from '../api/schemas.ts';
import { canSeeBranch, type Principal } from '../auth/principal.ts';
import type { Queryable } from '../db/storage.ts';
import { herdsSpec } from '../resources/herds.ts';
import {
  computeHerdState,
  DEFAULT_BATTERY_LOW_PCT,
  DEFAULT_FRESHNESS_MS,
  DEFAULT_MARGIN_M,
  DEFAULT_TEMPERATURE_RANGE_C,
  type HerdState,
} from './herd-state.ts';

const MAX_FRESHNESS_MS = 30 * 24 * 60 * 60 * 1000;

const stateQuerySchema = z.object({
  at: z.iso
    .datetime({ offset: true })
    .optional()
    .openapi({ description: 'the moment the state is for (ISO 8601); default now' }),
  freshnessMs: z.coerce
    .number()
    .int()
    .min(1000)
    .max(MAX_FRESHNESS_MS)
    .optional()
    .openapi({
      description: `how old a fix may be and still count, ms; default ${DEFAULT_FRESHNESS_MS}`,
    }),
  marginM: z.coerce
    .number()
    .min(0)
    .max(10_000)
    .optional()
    .openapi({
      description: `a fix at most this far outside the geofence (m) still counts as inside; default ${DEFAULT_MARGIN_M}`,
    }),
  batteryLowPct: z.coerce
    .number()
    .min(0)
    .max(100)
    .optional()
    .openapi({ description: `battery below this is low; default ${DEFAULT_BATTERY_LOW_PCT}` }),
  temperatureMinC: z.coerce
    .number()
    .min(-50)
    .max(60)
    .optional()
    .openapi({
      description: `lowest normal temperature, °C; default ${DEFAULT_TEMPERATURE_RANGE_C.minC}`,
    }),
  temperatureMaxC: z.coerce
    .number()
    .min(-50)
    .max(60)
    .optional()
    .openapi({
      description: `highest normal temperature, °C; default ${DEFAULT_TEMPERATURE_RANGE_C.maxC}`,
    }),
});

const fixFields = {
  tagCode: z.string(),
  observedAt: z.string(),
  lng: z.number(),
  lat: z.number(),
  reportingFarmId: z
    .string()
    .nullable()
    .openapi({ description: 'the farm whose gateway reported the fix; null if another branch’s' }),
};

const herdStateSchema = z
  .object({
    herdId: z.string().uuid(),
    herdCode: z.string(),
    farmId: z.string().uuid(),
    branchId: z.string().uuid(),
    species: z.string(),
    at: z.string(),
    freshnessMs: z.number(),
    marginM: z.number(),
    silenceMs: z.number(),
    silenceSource: z.enum(['herd', 'default']).openapi({
      description: 'herd: the herd’s alert_rule_settings row (rule tag_silent); default otherwise',
    }),
    pledgedHeadCount: z.number().int(),
    taggedCount: z.number().int().openapi({ description: 'tags bound to the herd at `at`' }),
    headCount: z.number().int().openapi({
      description:
        'pledged tags whose latest fix is fresh and inside the geofence (or within marginM)',
    }),
    shortfall: z.number().int(),
    cameras: z.array(
      z.object({
        cameraId: z.string().uuid(),
        cameraCode: z.string(),
        zones: z.array(
          z.object({
            zone: z.string().nullable(),
            headCount: z.number().int(),
            confidence: z.number().nullable(),
            observedAt: z.string(),
          }),
        ),
      }),
    ),
    reconciliation: z.object({
      missing: z.array(z.object({ tagCode: z.string(), lastSeenAt: z.string().nullable() })),
      outside: z.array(z.object({ ...fixFields, distanceM: z.number() })),
      withinMargin: z.array(z.object({ ...fixFields, distanceM: z.number() })),
      silent: z.array(
        z.object({
          tagCode: z.string(),
          lastSeenAt: z.string().nullable(),
          silentForMs: z.number().nullable(),
        }),
      ),
      unpledgedSeen: z.array(z.object(fixFields)),
      doublePledged: z.array(
        z.object({
          tagCode: z.string(),
          otherPledges: z.array(
            z.object({
              herdId: z.string().nullable(),
              herdCode: z.string().nullable(),
              farmId: z.string().nullable(),
              inYourBranch: z.boolean(),
            }),
          ),
          reportingFarmIds: z.array(z.string().nullable()),
          reportedFromTwoFarms: z.boolean(),
        }),
      ),
    }),
    liveness: z.object({
      batteryLowPct: z.number(),
      temperatureMinC: z.number(),
      temperatureMaxC: z.number(),
      batteryLow: z.array(
        z.object({ tagCode: z.string(), batteryPct: z.number(), observedAt: z.string() }),
      ),
      temperatureOutOfRange: z.array(
        z.object({ tagCode: z.string(), temperatureC: z.number(), observedAt: z.string() }),
      ),
    }),
  })
  .openapi('HerdState');

export type HerdStateView = z.infer<typeof herdStateSchema>;

export function createHerdStateRoutes(services: Services): OpenAPIHono<AppEnv> {
  const app = createApiRouter();
  app.openapi(
    createRoute({
      method: 'get',
      path: '/{id}/state',
      tags: ['herds'],
      summary: 'Head count, camera counts, reconciliation and liveness of a herd at a moment',
      request: { params: idParamSchema, query: stateQuerySchema },
      responses: {
        200: {
          description: 'the herd’s state',
          content: { 'application/json': { schema: herdStateSchema } },
        },
        ...errorResponses,
      },
    }),
    async (c) => {
      const principal = c.get('principal');
      const { id } = c.req.valid('param');
      const query = c.req.valid('query');
      const db = services.storage;
      await findVisible(db, herdsSpec, principal, id);
      const state = await computeHerdState(db, id, {
        at: query.at === undefined ? new Date() : new Date(query.at),
        freshnessMs: query.freshnessMs ?? DEFAULT_FRESHNESS_MS,
        marginM: query.marginM ?? DEFAULT_MARGIN_M,
        ...(query.batteryLowPct === undefined ? {} : { batteryLowPct: query.batteryLowPct }),
        ...(query.temperatureMinC === undefined ? {} : { temperatureMinC: query.temperatureMinC }),
        ...(query.temperatureMaxC === undefined ? {} : { temperatureMaxC: query.temperatureMaxC }),
      });
      return c.json(await hideOtherBranches(db, state, principal), 200);
    },
  );
  return app;
}

/** The state as the principal may see it: no ids of another branch's herds or farms. */
export async function hideOtherBranches(
  db: Queryable,
  state: HerdState,
  principal: Principal,
): Promise<HerdStateView> {
  const farmIds = new Set<string>();
  const r = state.reconciliation;
  for (const fix of [...r.outside, ...r.withinMargin, ...r.unpledgedSeen])
    farmIds.add(fix.reportingFarmId);
  for (const d of r.doublePledged) for (const f of d.reportingFarmIds) farmIds.add(f);
  const { rows } = await db.query<{ id: string; branch_id: string }>(
    `select f.id, b.branch_id from farms f join borrowers b on b.id = f.borrower_id
      where f.id = any($1::uuid[])`,
    [[...farmIds]],
  );
  const branchOfFarm = new Map(rows.map((row) => [row.id, row.branch_id]));
  const farm = (farmId: string): string | null => {
    const branchId = branchOfFarm.get(farmId);
    return branchId !== undefined && canSeeBranch(principal, branchId) ? farmId : null;
  };
  const fix = <T extends { reportingFarmId: string }>(f: T) => ({
    ...f,
    reportingFarmId: farm(f.reportingFarmId),
  });
  return {
    ...state,
    cameras: state.cameras.map((camera) => ({ ...camera, zones: [...camera.zones] })),
    reconciliation: {
      missing: [...r.missing],
      outside: r.outside.map(fix),
      withinMargin: r.withinMargin.map(fix),
      silent: [...r.silent],
      unpledgedSeen: r.unpledgedSeen.map(fix),
      doublePledged: r.doublePledged.map((d) => ({
        ...d,
        otherPledges: d.otherPledges.map((p) =>
          canSeeBranch(principal, p.branchId)
            ? { herdId: p.herdId, herdCode: p.herdCode, farmId: p.farmId, inYourBranch: true }
            : { herdId: null, herdCode: null, farmId: null, inYourBranch: false },
        ),
        reportingFarmIds: d.reportingFarmIds.map(farm),
      })),
    },
    liveness: {
      ...state.liveness,
      batteryLow: [...state.liveness.batteryLow],
      temperatureOutOfRange: [...state.liveness.temperatureOutOfRange],
    },
  };
}
