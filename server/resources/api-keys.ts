import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import type { AppEnv, Services } from '../app-env.ts';
import { createApiKey } from '../auth/api-keys.ts';
import { hasRole, type Principal } from '../auth/principal.ts';
import { recordAudit } from '../db/audit.ts';
import type { Queryable } from '../db/storage.ts';
import { ForbiddenError, NotFoundError } from '../errors.ts';
import { Conditions, fetchKeysetPage } from '../api/keyset-page.ts';
import { listQuerySchema } from '../api/pagination.ts';
import { createApiRouter } from '../api/router.ts';
import { errorResponses, idParamSchema } from '../api/schemas.ts';

export const apiKeySchema = z
  .object({
    id: z.string().uuid(),
    userId: z.string().uuid(),
    userEmail: z.string(),
    name: z.string().openapi({ example: 'nightly export' }),
    prefix: z
      .string()
      .openapi({ example: 'a1B2c3D4', description: 'the key starts pwk_<prefix>_' }),
    createdAt: z.string(),
    lastUsedAt: z.string().nullable(),
    revokedAt: z.string().nullable(),
  })
  .openapi('ApiKey');

const createdApiKeySchema = apiKeySchema
  .extend({
    key: z.string().openapi({
      example: 'pwk_a1B2c3D4_…',
      description: 'the key itself: shown only in this answer, store it now',
    }),
  })
  .openapi('ApiKeyCreated');

const createApiKeySchema = z
  .object({ name: z.string().trim().min(1).max(100).openapi({ example: 'nightly export' }) })
  .strict()
  .openapi('ApiKeyCreate');

const listApiKeysQuerySchema = listQuerySchema.pick({ limit: true, cursor: true }).extend({
  userId: z
    .string()
    .uuid()
    .optional()
    .openapi({ description: "another user's keys (admins only); default: the caller's" }),
});

type KeyRow = {
  id: string;
  user_id: string;
  user_email: string;
  branch_id: string | null;
  name: string;
  prefix: string;
  created_at: Date;
  last_used_at: Date | null;
  revoked_at: Date | null;
  sort_key: string;
};

const selectSql = `select k.id, k.user_id, u.email as user_email, u.branch_id, k.name, k.prefix, k.created_at,
         k.last_used_at, k.revoked_at,
         to_char(k.created_at at time zone 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') as sort_key
  from api_keys k join users u on u.id = k.user_id`;

function toApiKey(row: KeyRow) {
  return {
    id: row.id,
    userId: row.user_id,
    userEmail: row.user_email,
    name: row.name,
    prefix: row.prefix,
    createdAt: row.created_at.toISOString(),
    lastUsedAt: row.last_used_at?.toISOString() ?? null,
    revokedAt: row.revoked_at?.toISOString() ?? null,
  };
}

/**
 * `/api/api-keys`: keys for machines and scripts. A key belongs to the user who made it and acts
 * with that user's role and branch. The key is answered once at creation; only its hash is kept.
 * A key cannot make further keys (a leaked key must not outlive its revocation): create keys from
 * a signed-in session or with `pledgewatch create-api-key`.
 */
export function createApiKeyRoutes(services: Services): OpenAPIHono<AppEnv> {
  const { storage } = services;
  const app = createApiRouter();

  app.openapi(
    createRoute({
      method: 'post',
      path: '/',
      tags: ['api-keys'],
      summary: 'Create an API key for the caller; the key is shown only in this answer',
      request: {
        body: { content: { 'application/json': { schema: createApiKeySchema } }, required: true },
      },
      responses: {
        201: {
          description: 'the new key, with `key` shown this once',
          content: { 'application/json': { schema: createdApiKeySchema } },
        },
        ...errorResponses,
      },
    }),
    async (c) => {
      const principal = c.get('principal');
      if (principal.kind !== 'user') {
        throw new ForbiddenError(
          'an API key may not create API keys: sign in, or use `pledgewatch create-api-key`',
        );
      }
      const { name } = c.req.valid('json');
      const created = await storage.transaction(async (tx) => {
        const key = await createApiKey(tx, { userId: principal.userId, name });
        const row = await findKey(tx, key.id);
        const after = toApiKey(row);
        await recordAudit(tx, {
          principal,
          action: 'create',
          entityType: 'api_keys',
          entityId: key.id,
          branchId: row.branch_id,
          before: null,
          after,
          requestId: c.get('requestId'),
        });
        return { ...after, key: key.key };
      });
      return c.json(created, 201);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/',
      tags: ['api-keys'],
      summary: "List the caller's API keys (admins: any user's, with userId)",
      request: { query: listApiKeysQuerySchema },
      responses: {
        200: {
          description: 'a page of keys, oldest first, revoked ones included',
          content: {
            'application/json': {
              schema: z.object({ items: z.array(apiKeySchema), nextCursor: z.string().nullable() }),
            },
          },
        },
        ...errorResponses,
      },
    }),
    async (c) => {
      const principal = c.get('principal');
      const query = c.req.valid('query');
      const userId = query.userId ?? principal.userId;
      if (userId !== principal.userId && !hasRole(principal, 'admin')) {
        throw new ForbiddenError(
          `role ${principal.role} may not list another user's API keys: needs admin`,
        );
      }
      const page = await fetchKeysetPage<KeyRow>(storage, {
        selectSql,
        conditions: new Conditions().add((p) => `user_id = ${p}`, userId),
        limit: query.limit,
        cursor: query.cursor,
      });
      return c.json({ items: page.rows.map(toApiKey), nextCursor: page.nextCursor }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'delete',
      path: '/{id}',
      tags: ['api-keys'],
      summary: 'Revoke an API key (your own; admins: anyone’s)',
      request: { params: idParamSchema },
      responses: { 204: { description: 'revoked (also when it already was)' }, ...errorResponses },
    }),
    async (c) => {
      const principal = c.get('principal');
      const { id } = c.req.valid('param');
      await storage.transaction(async (tx) => {
        const before = await findKey(tx, id, { forUpdate: true });
        if (!mayManage(principal, before)) throw new NotFoundError('API key', id);
        if (before.revoked_at !== null) return;
        await tx.query('update api_keys set revoked_at = now() where id = $1', [id]);
        const after = await findKey(tx, id);
        await recordAudit(tx, {
          principal,
          action: 'delete',
          entityType: 'api_keys',
          entityId: id,
          branchId: before.branch_id,
          before: toApiKey(before),
          after: toApiKey(after),
          requestId: c.get('requestId'),
        });
      });
      return c.body(null, 204);
    },
  );

  return app;
}

function mayManage(principal: Principal, key: KeyRow): boolean {
  return key.user_id === principal.userId || hasRole(principal, 'admin');
}

async function findKey(
  db: Queryable,
  id: string,
  options: { forUpdate?: boolean } = {},
): Promise<KeyRow> {
  const { rows } = await db.query<KeyRow>(
    `${selectSql} where k.id = $1${options.forUpdate === true ? ' for update of k' : ''}`,
    [id],
  );
  const row = rows[0];
  if (row === undefined) throw new NotFoundError('API key', id);
  return row;
}
