import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import type { AppEnv, Services } from '../app-env.ts';
import { requireRole } from '../api/crud.ts';
import { decodeCursor, encodeCursor } from '../api/pagination.ts';
import { createApiRouter } from '../api/router.ts';
import { errorResponses } from '../api/schemas.ts';
import { branchScope } from '../auth/principal.ts';
import type { SqlParam } from '../db/storage.ts';
import { InvalidInputError } from '../errors.ts';
import { timestampSchema } from './field-rules.ts';

export const auditEntrySchema = z
  .object({
    id: z.string().openapi({ example: '1042' }),
    at: z.string(),
    actorKind: z.enum(['user', 'api_key', 'gateway', 'system']),
    actorId: z
      .string()
      .nullable()
      .openapi({ description: 'user id, API key id, or a system name' }),
    actorEmail: z
      .string()
      .nullable()
      .openapi({ description: 'the user, or the owner of the API key' }),
    action: z.string().openapi({ example: 'update' }),
    entityType: z.string().openapi({ example: 'borrowers' }),
    entityId: z.string().nullable(),
    branchId: z.string().uuid().nullable(),
    before: z.unknown(),
    after: z.unknown(),
    requestId: z.string().nullable(),
  })
  .openapi('AuditEntry');

const auditQuerySchema = z.object({
  entityType: z.string().max(64).optional().openapi({ example: 'borrowers' }),
  entityId: z.string().max(200).optional(),
  action: z.string().max(32).optional().openapi({ example: 'update' }),
  from: timestampSchema.optional().openapi({ description: 'entries at or after this time' }),
  to: timestampSchema.optional().openapi({ description: 'entries before this time' }),
  limit: z.coerce.number().int().min(1).max(500).default(100),
  cursor: z.string().optional().openapi({ description: 'nextCursor of the previous page' }),
});

interface AuditRow {
  id: string;
  at: Date;
  actor_kind: 'user' | 'api_key' | 'gateway' | 'system';
  actor_id: string | null;
  actor_email: string | null;
  action: string;
  entity_type: string;
  entity_id: string | null;
  branch_id: string | null;
  before: unknown;
  after: unknown;
  request_id: string | null;
}

/**
 * `GET /api/audit`: who changed what, when, with before and after, newest first. Supervisors read
 * their branch's entries, admins all; officers are refused.
 */
export function createAuditRoutes(services: Services): OpenAPIHono<AppEnv> {
  const app = createApiRouter();
  app.openapi(
    createRoute({
      method: 'get',
      path: '/',
      tags: ['audit'],
      summary: 'Read the audit log (supervisors: their branch; admins: all)',
      request: { query: auditQuerySchema },
      responses: {
        200: {
          description: 'a page of entries, newest first',
          content: {
            'application/json': {
              schema: z.object({
                items: z.array(auditEntrySchema),
                nextCursor: z.string().nullable(),
              }),
            },
          },
        },
        ...errorResponses,
      },
    }),
    async (c) => {
      const principal = c.get('principal');
      requireRole(principal, 'supervisor', 'read the audit log');
      const query = c.req.valid('query');
      const where: string[] = [];
      const params: SqlParam[] = [];
      const add = (sql: (p: string) => string, value: SqlParam): void => {
        params.push(value);
        where.push(sql(`$${params.length}`));
      };
      const scope = branchScope(principal);
      if (scope !== null) add((p) => `a.branch_id = ${p}`, scope);
      if (query.entityType !== undefined) add((p) => `a.entity_type = ${p}`, query.entityType);
      if (query.entityId !== undefined) add((p) => `a.entity_id = ${p}`, query.entityId);
      if (query.action !== undefined) add((p) => `a.action = ${p}`, query.action);
      if (query.from !== undefined) add((p) => `a.at >= ${p}::timestamptz`, query.from);
      if (query.to !== undefined) add((p) => `a.at < ${p}::timestamptz`, query.to);
      if (query.cursor !== undefined) add((p) => `a.id < ${p}::bigint`, cursorId(query.cursor));
      params.push(query.limit + 1);
      const { rows } = await services.storage.query<AuditRow>(
        `select a.id, a.at, a.actor_kind, a.actor_id, coalesce(u.email, ku.email) as actor_email,
                a.action, a.entity_type, a.entity_id, a.branch_id, a.before, a.after, a.request_id
         from audit_log a
         left join users u on a.actor_kind = 'user' and u.id::text = a.actor_id
         left join api_keys k on a.actor_kind = 'api_key' and k.id::text = a.actor_id
         left join users ku on ku.id = k.user_id
         ${where.length > 0 ? `where ${where.join(' and ')}` : ''}
         order by a.id desc
         limit $${params.length}`,
        params,
      );
      const page = rows.slice(0, query.limit);
      const last = page[page.length - 1];
      return c.json(
        {
          items: page.map((row) => ({
            id: String(row.id),
            at: row.at.toISOString(),
            actorKind: row.actor_kind,
            actorId: row.actor_id,
            actorEmail: row.actor_email,
            action: row.action,
            entityType: row.entity_type,
            entityId: row.entity_id,
            branchId: row.branch_id,
            before: row.before,
            after: row.after,
            requestId: row.request_id,
          })),
          nextCursor:
            rows.length > query.limit && last !== undefined
              ? encodeCursor(String(last.id), String(last.id))
              : null,
        },
        200,
      );
    },
  );
  return app;
}

function cursorId(cursor: string): string {
  const { sortValue } = decodeCursor(cursor);
  if (!/^\d{1,19}$/.test(sortValue)) {
    throw new InvalidInputError(
      `query.cursor ${JSON.stringify(cursor)} is not a cursor this API issued`,
    );
  }
  return sortValue;
}
