/**
 * `/api/alerts` (list, read one with its evidence and history, acknowledge, resolve, assign,
 * comment) and `/api/alert-settings` (rule params per scope: supervisors for their branch, admins
 * for all and for the portfolio). Officers and supervisors see only their branch's alerts; an
 * alert of another branch is a 404.
 */
import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import type { AppEnv, Services } from '../app-env.ts';
import { requireRole } from '../api/crud.ts';
import { decodeCursor, encodeCursor } from '../api/pagination.ts';
import { createApiRouter } from '../api/router.ts';
import { errorResponses, idParamSchema } from '../api/schemas.ts';
import { branchScope, canSeeBranch, type Principal } from '../auth/principal.ts';
import type { Queryable, SqlParam } from '../db/storage.ts';
import { InvalidInputError, NotFoundError } from '../errors.ts';
import { timestampSchema } from '../resources/field-rules.ts';
import { AlertEngine } from './engine.ts';
import { acknowledgeAlert, assignAlert, commentAlert, resolveAlert } from './lifecycle.ts';
import { checkRuleParams, getRule, rules } from './rules/registry.ts';
import { loadRuleSettings, RuleSettings } from './settings.ts';
import { scopeTypes, severities, type ScopeType } from './types.ts';

const severitySchema = z.enum(['info', 'warning', 'critical']);
const statusSchema = z.enum(['open', 'acknowledged', 'resolved']);

export const alertSchema = z
  .object({
    id: z.string().uuid(),
    kind: z.string().openapi({ example: 'tag_outside_geofence' }),
    subjectType: z.string().openapi({ example: 'ear_tag' }),
    subjectId: z.string().uuid(),
    branchId: z.string().uuid(),
    loanId: z.string().uuid().nullable(),
    farmId: z.string().uuid().nullable(),
    severity: severitySchema,
    status: statusSchema,
    title: z.string(),
    evidence: z.record(z.string(), z.unknown()).openapi({
      description: 'what raised it: readings, counts, missing tags, scenes and statistics',
    }),
    raisedAt: z.string(),
    updatedAt: z.string(),
    assignedTo: z.string().uuid().nullable(),
    acknowledgedAt: z.string().nullable(),
    acknowledgedBy: z.string().uuid().nullable(),
    ackDeadlineAt: z.string().nullable(),
    escalatedAt: z.string().nullable(),
    escalatedTo: z.string().uuid().nullable(),
    resolvedAt: z.string().nullable(),
    resolvedBy: z.string().uuid().nullable(),
    resolvedBySystem: z.boolean().nullable(),
  })
  .openapi('Alert');

export const alertEventSchema = z
  .object({
    id: z.string().openapi({ example: '1042' }),
    at: z.string(),
    type: z.enum([
      'raised',
      'updated',
      'acknowledged',
      'assigned',
      'commented',
      'escalated',
      'resolved',
      'reopened',
    ]),
    actorKind: z.enum(['user', 'system']),
    actorUserId: z.string().uuid().nullable(),
    actorEmail: z.string().nullable(),
    comment: z.string().nullable(),
    payload: z.unknown(),
  })
  .openapi('AlertEvent');

const alertDetailSchema = alertSchema
  .extend({ events: z.array(alertEventSchema) })
  .openapi('AlertWithHistory');

const listQuerySchema = z.object({
  status: statusSchema.optional(),
  severity: severitySchema.optional(),
  minSeverity: severitySchema.optional().openapi({ description: 'this severity or worse' }),
  kind: z.string().max(64).optional().openapi({ example: 'herd_count_below_pledge' }),
  branchId: z.string().uuid().optional(),
  farmId: z.string().uuid().optional(),
  loanId: z.string().uuid().optional(),
  since: timestampSchema.optional().openapi({ description: 'raised at or after this time' }),
  limit: z.coerce.number().int().min(1).max(500).default(50),
  cursor: z.string().optional().openapi({ description: 'nextCursor of the previous page' }),
});

// Required fields are checked once the alert is known visible (another branch's alert is a 404,
// whatever the body), so the schemas mark them optional and document them.
const commentBody = z
  .strictObject({
    comment: z.string().max(4000).optional().openapi({ description: 'required, not empty' }),
  })
  .openapi('AlertComment');
const optionalCommentBody = z
  .strictObject({ comment: z.string().max(4000).optional() })
  .openapi('AlertResolve');
const assignBody = z
  .strictObject({
    assigneeId: z
      .string()
      .optional()
      .openapi({ description: 'required: an officer or supervisor of the alert’s branch' }),
    comment: z.string().max(4000).optional(),
  })
  .openapi('AlertAssign');

interface AlertRow {
  id: string;
  kind: string;
  subject_type: string;
  subject_id: string;
  branch_id: string;
  loan_id: string | null;
  farm_id: string | null;
  severity: 'info' | 'warning' | 'critical';
  status: 'open' | 'acknowledged' | 'resolved';
  title: string;
  evidence: Record<string, unknown>;
  raised_at: Date;
  updated_at: Date;
  assigned_to: string | null;
  acknowledged_at: Date | null;
  acknowledged_by: string | null;
  ack_deadline_at: Date | null;
  escalated_at: Date | null;
  escalated_to: string | null;
  resolved_at: Date | null;
  resolved_by: string | null;
  resolved_by_system: boolean | null;
}

const alertColumns = `a.id, a.kind, a.subject_type, a.subject_id, a.branch_id, a.loan_id, a.farm_id,
  a.severity, a.status, a.title, a.evidence, a.raised_at, a.updated_at, a.assigned_to,
  a.acknowledged_at, a.acknowledged_by, a.ack_deadline_at, a.escalated_at, a.escalated_to,
  a.resolved_at, a.resolved_by, a.resolved_by_system`;

const iso = (d: Date | null): string | null => d?.toISOString() ?? null;

function toAlert(row: AlertRow): z.infer<typeof alertSchema> {
  return {
    id: row.id,
    kind: row.kind,
    subjectType: row.subject_type,
    subjectId: row.subject_id,
    branchId: row.branch_id,
    loanId: row.loan_id,
    farmId: row.farm_id,
    severity: row.severity,
    status: row.status,
    title: row.title,
    evidence: row.evidence,
    raisedAt: row.raised_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
    assignedTo: row.assigned_to,
    acknowledgedAt: iso(row.acknowledged_at),
    acknowledgedBy: row.acknowledged_by,
    ackDeadlineAt: iso(row.ack_deadline_at),
    escalatedAt: iso(row.escalated_at),
    escalatedTo: row.escalated_to,
    resolvedAt: iso(row.resolved_at),
    resolvedBy: row.resolved_by,
    resolvedBySystem: row.resolved_by_system,
  };
}

/** One alert with its history, or NotFoundError when missing or in another branch. */
export async function readAlert(
  db: Queryable,
  principal: Principal,
  id: string,
): Promise<z.infer<typeof alertDetailSchema>> {
  const { rows } = await db.query<AlertRow>(
    `select ${alertColumns} from alerts a where a.id = $1`,
    [id],
  );
  const row = rows[0];
  if (row === undefined || !canSeeBranch(principal, row.branch_id)) {
    throw new NotFoundError('alert', id);
  }
  const events = await db.query<{
    id: string;
    at: Date;
    type: z.infer<typeof alertEventSchema>['type'];
    actor_kind: 'user' | 'system';
    actor_user_id: string | null;
    actor_email: string | null;
    comment: string | null;
    payload: unknown;
  }>(
    `select e.id, e.at, e.type, e.actor_kind, e.actor_user_id, u.email as actor_email, e.comment,
            e.payload
       from alert_events e left join users u on u.id = e.actor_user_id
      where e.alert_id = $1 order by e.id`,
    [id],
  );
  return {
    ...toAlert(row),
    events: events.rows.map((e) => ({
      id: String(e.id),
      at: e.at.toISOString(),
      type: e.type,
      actorKind: e.actor_kind,
      actorUserId: e.actor_user_id,
      actorEmail: e.actor_email,
      comment: e.comment,
      payload: e.payload,
    })),
  };
}

const settingQuerySchema = z.object({
  scopeType: z.enum(scopeTypes as [ScopeType, ...ScopeType[]]).default('portfolio'),
  scopeId: z.string().uuid().optional(),
});

const settingBodySchema = z
  .strictObject({
    rule: z.string().openapi({ example: 'tag_silent' }),
    scopeType: z.enum(scopeTypes as [ScopeType, ...ScopeType[]]),
    scopeId: z.string().uuid().nullable().optional(),
    params: z
      .record(z.string(), z.number())
      .openapi({ example: { silenceMs: 7_200_000 }, description: 'the params to override' }),
  })
  .openapi('AlertRuleSettingUpdate');

const ruleSettingSchema = z
  .object({
    rule: z.string(),
    subjectType: z.string(),
    description: z.string(),
    scopeType: z.string(),
    scopeId: z.string().nullable(),
    /** Where each param may be set. */
    scopes: z.array(z.string()),
    defaults: z.record(z.string(), z.number()),
    bounds: z.record(z.string(), z.tuple([z.number(), z.number()])),
    /** What is stored at exactly this scope (null: nothing). */
    params: z.record(z.string(), z.unknown()).nullable(),
    /** Defaults overridden by every wider scope and this one. */
    effective: z.record(z.string(), z.number()),
  })
  .openapi('AlertRuleSetting');

/**
 * The branch a scope belongs to (null for the portfolio), or NotFoundError for an unknown id.
 * Scope ids are checked to exist, so a typo cannot create a setting nobody reads.
 */
async function scopeBranch(
  db: Queryable,
  scopeType: ScopeType,
  scopeId: string | null,
): Promise<{ branchId: string | null; chain: Record<string, string | null> }> {
  if (scopeType === 'portfolio') return { branchId: null, chain: {} };
  if (scopeId === null) throw new InvalidInputError(`scopeId is required for scope ${scopeType}`);
  const sql: Record<Exclude<ScopeType, 'portfolio'>, string> = {
    branch: `select id as branch_id, null::uuid as loan_id, null::uuid as farm_id,
                    null::uuid as herd_id from branches where id = $1`,
    loan: `select branch_id, id as loan_id, null::uuid as farm_id, null::uuid as herd_id
             from loans where id = $1`,
    farm: `select b.branch_id, null::uuid as loan_id, f.id as farm_id, null::uuid as herd_id
             from farms f join borrowers b on b.id = f.borrower_id where f.id = $1`,
    herd: `select b.branch_id, h.loan_id, h.farm_id, h.id as herd_id from herds h
             join farms f on f.id = h.farm_id join borrowers b on b.id = f.borrower_id
            where h.id = $1`,
    parcel: `select b.branch_id, p.loan_id, p.farm_id, null::uuid as herd_id from parcels p
               join farms f on f.id = p.farm_id join borrowers b on b.id = f.borrower_id
              where p.id = $1`,
    ear_tag: `select b.branch_id, h.loan_id, h.farm_id, h.id as herd_id from ear_tags e
                join herds h on h.id = e.herd_id join farms f on f.id = h.farm_id
                join borrowers b on b.id = f.borrower_id where e.id = $1`,
  };
  const { rows } = await db.query<{
    branch_id: string;
    loan_id: string | null;
    farm_id: string | null;
    herd_id: string | null;
  }>(sql[scopeType], [scopeId]);
  const row = rows[0];
  if (row === undefined) throw new NotFoundError(scopeType, scopeId);
  return {
    branchId: row.branch_id,
    chain: {
      branchId: row.branch_id,
      loanId: row.loan_id,
      farmId: row.farm_id,
      herdId: row.herd_id,
      ...(scopeType === 'parcel' ? { parcelId: scopeId } : {}),
      ...(scopeType === 'ear_tag' ? { earTagId: scopeId } : {}),
    },
  };
}

/** Both sub-apps, mounted at the API root with one line: `secured.route('/', createAlertRoutes(s))`. */
export function createAlertRoutes(services: Services): OpenAPIHono<AppEnv> {
  const app = createApiRouter();
  const engine = new AlertEngine({
    storage: services.storage,
    bus: services.alertBus,
    logger: services.logger,
  });
  const db = services.storage;

  app.openapi(
    createRoute({
      method: 'get',
      path: '/alerts',
      tags: ['alerts'],
      summary: 'List alerts, newest first (officers and supervisors: their branch)',
      request: { query: listQuerySchema },
      responses: {
        200: {
          description: 'a page of alerts',
          content: {
            'application/json': {
              schema: z.object({ items: z.array(alertSchema), nextCursor: z.string().nullable() }),
            },
          },
        },
        ...errorResponses,
      },
    }),
    async (c) => {
      const principal = c.get('principal');
      const q = c.req.valid('query');
      const where: string[] = [];
      const params: SqlParam[] = [];
      const add = (sql: (p: string) => string, value: SqlParam): void => {
        params.push(value);
        where.push(sql(`$${params.length}`));
      };
      const scope = branchScope(principal);
      if (scope !== null) add((p) => `a.branch_id = ${p}`, scope);
      if (q.branchId !== undefined) add((p) => `a.branch_id = ${p}`, q.branchId);
      if (q.status !== undefined) add((p) => `a.status = ${p}`, q.status);
      if (q.severity !== undefined) add((p) => `a.severity = ${p}`, q.severity);
      if (q.minSeverity !== undefined) {
        add(
          (p) => `a.severity = any (${p}::text[])`,
          severities.slice(severities.indexOf(q.minSeverity)),
        );
      }
      if (q.kind !== undefined) add((p) => `a.kind = ${p}`, q.kind);
      if (q.farmId !== undefined) add((p) => `a.farm_id = ${p}`, q.farmId);
      if (q.loanId !== undefined) add((p) => `a.loan_id = ${p}`, q.loanId);
      if (q.since !== undefined) add((p) => `a.raised_at >= ${p}::timestamptz`, q.since);
      if (q.cursor !== undefined) {
        const { sortValue, id } = decodeCursor(q.cursor);
        if (Number.isNaN(Date.parse(sortValue)) || !/^[0-9a-f-]{36}$/.test(id)) {
          throw new InvalidInputError(
            `query.cursor ${JSON.stringify(q.cursor)} is not a cursor this API issued`,
          );
        }
        params.push(sortValue, id);
        where.push(
          `(a.raised_at, a.id) < ($${params.length - 1}::timestamptz, $${params.length}::uuid)`,
        );
      }
      params.push(q.limit + 1);
      const { rows } = await db.query<AlertRow>(
        `select ${alertColumns} from alerts a
         ${where.length > 0 ? `where ${where.join(' and ')}` : ''}
         order by a.raised_at desc, a.id desc
         limit $${params.length}`,
        params,
      );
      const page = rows.slice(0, q.limit);
      const last = page[page.length - 1];
      return c.json(
        {
          items: page.map(toAlert),
          nextCursor:
            rows.length > q.limit && last !== undefined
              ? encodeCursor(last.raised_at.toISOString(), last.id)
              : null,
        },
        200,
      );
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/alerts/{id}',
      tags: ['alerts'],
      summary: 'Read one alert with its evidence and its history of events',
      request: { params: idParamSchema },
      responses: {
        200: {
          description: 'the alert',
          content: { 'application/json': { schema: alertDetailSchema } },
        },
        ...errorResponses,
      },
    }),
    async (c) => c.json(await readAlert(db, c.get('principal'), c.req.valid('param').id), 200),
  );

  const action = (
    name: 'acknowledge' | 'resolve' | 'assign' | 'comment',
    summary: string,
    body: z.ZodType,
    run: (principal: Principal, id: string, body: Record<string, string>) => Promise<unknown>,
  ): void => {
    app.openapi(
      createRoute({
        method: 'post',
        path: `/alerts/{id}/${name}`,
        tags: ['alerts'],
        summary,
        request: {
          params: idParamSchema,
          body: { content: { 'application/json': { schema: body } }, required: true },
        },
        responses: {
          200: {
            description: 'the alert after the change, with its history',
            content: { 'application/json': { schema: alertDetailSchema } },
          },
          ...errorResponses,
        },
      }),
      async (c) => {
        const principal = c.get('principal');
        const { id } = c.req.valid('param');
        await run(principal, id, c.req.valid('json') as Record<string, string>);
        return c.json(await readAlert(db, principal, id), 200);
      },
    );
  };
  action(
    'acknowledge',
    'Acknowledge an open alert (a comment is required)',
    commentBody,
    (p, id, b) => acknowledgeAlert(engine, p, id, b['comment']),
  );
  action('resolve', 'Resolve an alert', optionalCommentBody, (p, id, b) =>
    resolveAlert(engine, p, id, b['comment']),
  );
  action(
    'assign',
    'Assign an alert to an officer or supervisor of its branch',
    assignBody,
    (p, id, b) => assignAlert(engine, p, id, b['assigneeId'], b['comment']),
  );
  action('comment', 'Comment on an alert', commentBody, (p, id, b) =>
    commentAlert(engine, p, id, b['comment']),
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/alert-settings',
      tags: ['alerts'],
      summary: 'Every rule with its defaults and its params at one scope (supervisors, admins)',
      request: { query: settingQuerySchema },
      responses: {
        200: {
          description: 'the rules at that scope',
          content: {
            'application/json': { schema: z.object({ items: z.array(ruleSettingSchema) }) },
          },
        },
        ...errorResponses,
      },
    }),
    async (c) => {
      const principal = c.get('principal');
      requireRole(principal, 'supervisor', 'read alert settings');
      const q = c.req.valid('query');
      const scopeId = q.scopeId ?? null;
      const scope = await scopeBranch(db, q.scopeType, scopeId);
      if (scope.branchId !== null && !canSeeBranch(principal, scope.branchId)) {
        throw new NotFoundError(q.scopeType, scopeId ?? '');
      }
      const stored = await loadRuleSettings(db);
      const settings = new RuleSettings(stored);
      const items = rules
        .filter((r) => r.scopes.includes(q.scopeType))
        .map((r) => ({
          rule: r.kind,
          subjectType: r.subjectType,
          description: r.description,
          scopeType: q.scopeType,
          scopeId,
          scopes: [...r.scopes],
          defaults: { ...r.defaults },
          bounds: Object.fromEntries(
            Object.entries(r.bounds).map(([k, v]) => [k, [v[0], v[1]] as [number, number]]),
          ),
          params: {
            ...(stored.find(
              (s) => s.rule === r.kind && s.scopeType === q.scopeType && s.scopeId === scopeId,
            )?.params ?? {}),
          },
          effective: settings.resolve<Record<string, number>>(r.kind, scope.chain),
        }))
        .map((item) => ({
          ...item,
          params: Object.keys(item.params).length > 0 ? item.params : null,
        }));
      return c.json({ items }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'put',
      path: '/alert-settings',
      tags: ['alerts'],
      summary:
        'Set a rule’s params at one scope (supervisors: their branch; admins: all and the portfolio); empty params remove the setting',
      request: {
        body: { content: { 'application/json': { schema: settingBodySchema } }, required: true },
      },
      responses: {
        200: {
          description: 'the rule at that scope',
          content: { 'application/json': { schema: ruleSettingSchema } },
        },
        ...errorResponses,
      },
    }),
    async (c) => {
      const principal = c.get('principal');
      requireRole(principal, 'supervisor', 'change alert settings');
      const body = c.req.valid('json');
      const definition = getRule(body.rule);
      if (!definition.scopes.includes(body.scopeType)) {
        throw new InvalidInputError(
          `scopeType ${body.scopeType} is not a scope of ${body.rule}: expected one of ${definition.scopes.join(', ')}`,
        );
      }
      const params = checkRuleParams(body.rule, body.params);
      const scopeId = body.scopeType === 'portfolio' ? null : (body.scopeId ?? null);
      const scope = await scopeBranch(db, body.scopeType, scopeId);
      if (scope.branchId === null) {
        requireRole(principal, 'admin', 'change portfolio-wide alert settings');
      } else if (!canSeeBranch(principal, scope.branchId)) {
        throw new NotFoundError(body.scopeType, scopeId ?? '');
      }
      if (Object.keys(params).length === 0) {
        await db.query(
          `delete from alert_rule_settings where rule = $1 and scope_type = $2
              and scope_id is not distinct from $3::uuid`,
          [body.rule, body.scopeType, scopeId],
        );
      } else {
        await db.query(
          `insert into alert_rule_settings (rule, scope_type, scope_id, params, updated_by)
           values ($1, $2, $3, $4::jsonb, $5)
           on conflict (rule, scope_type, coalesce(scope_id, '00000000-0000-0000-0000-000000000000'))
           do update set params = excluded.params, updated_at = now(),
                         updated_by = excluded.updated_by`,
          [body.rule, body.scopeType, scopeId, JSON.stringify(params), principal.userId],
        );
      }
      const settings = new RuleSettings(await loadRuleSettings(db));
      return c.json(
        {
          rule: definition.kind,
          subjectType: definition.subjectType,
          description: definition.description,
          scopeType: body.scopeType,
          scopeId,
          scopes: [...definition.scopes],
          defaults: { ...definition.defaults },
          bounds: Object.fromEntries(
            Object.entries(definition.bounds).map(([k, v]) => [
              k,
              [v[0], v[1]] as [number, number],
            ]),
          ),
          params: Object.keys(params).length > 0 ? params : null,
          effective: settings.resolve<Record<string, number>>(definition.kind, scope.chain),
        },
        200,
      );
    },
  );
  return app;
}
