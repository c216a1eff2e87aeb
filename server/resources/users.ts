import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import type { AppEnv, Services } from '../app-env.ts';
import { branchScope, roles, type Principal } from '../auth/principal.ts';
import {
  checkRoleAndBranch,
  hashPassword,
  insertUser,
  revokeAccess,
  toUser,
  userSchema,
  userSelectSql,
} from '../auth/users.ts';
import { maxPasswordLength, minPasswordLength } from '../auth/passwords.ts';
import { recordAudit } from '../db/audit.ts';
import type { Queryable } from '../db/storage.ts';
import { ConflictError, NotFoundError } from '../errors.ts';
import { requireRole } from '../api/crud.ts';
import { Conditions, fetchKeysetPage } from '../api/keyset-page.ts';
import { likePattern, listQuerySchema } from '../api/pagination.ts';
import { createApiRouter } from '../api/router.ts';
import { errorResponses, idParamSchema } from '../api/schemas.ts';

const roleSchema = z.enum(roles as ['officer', 'supervisor', 'admin']);
const passwordSchema = z
  .string()
  .min(minPasswordLength)
  .max(maxPasswordLength)
  .openapi({
    description: `at least ${minPasswordLength} characters and not the email address; stored hashed, never shown`,
  });
const emailSchema = z
  .string()
  .trim()
  .max(320)
  .regex(/^[^@\s]+@[^@\s]+$/, 'must be an email address')
  .openapi({ example: 'lies.vermeulen@bank.example' });

const createUserSchema = z
  .object({
    email: emailSchema,
    displayName: z.string().trim().min(1).max(200).openapi({ example: 'Lies Vermeulen' }),
    role: roleSchema,
    branchId: z
      .string()
      .uuid()
      .nullable()
      .optional()
      .openapi({ description: 'required unless admin' }),
    password: passwordSchema.optional().openapi({
      description: 'without one the user cannot log in until an admin sets it',
    }),
  })
  .strict()
  .openapi('UserCreate');

const updateUserSchema = z
  .object({
    email: emailSchema,
    displayName: z.string().trim().min(1).max(200),
    role: roleSchema,
    branchId: z.string().uuid().nullable(),
    password: passwordSchema,
    disabled: z.boolean().openapi({
      description: "true ends the user's sessions and revokes their API keys; false re-enables",
    }),
  })
  .partial()
  .strict()
  .openapi('UserUpdate');

const listUsersQuerySchema = listQuerySchema.pick({ limit: true, cursor: true, q: true }).extend({
  role: roleSchema.optional(),
  branchId: z.string().uuid().optional(),
});

type UserRow = Record<string, unknown> & { id: string; branch_id: string | null; sort_key: string };

/**
 * `/api/users`: admins create, change and disable users of every branch; supervisors read the
 * users of their branch; officers read only themselves (also at `GET /api/auth/me`). Another
 * branch's user is a 404, as everywhere. Users are disabled, not deleted: loans and the audit log
 * keep naming them.
 */
export function createUserRoutes(services: Services): OpenAPIHono<AppEnv> {
  const { storage } = services;
  const app = createApiRouter();
  const tags = ['users'];

  app.openapi(
    createRoute({
      method: 'get',
      path: '/',
      tags,
      summary: 'List users (supervisors: their branch; admins: all)',
      request: { query: listUsersQuerySchema },
      responses: {
        200: {
          description: 'a page of users, by email',
          content: {
            'application/json': {
              schema: z.object({ items: z.array(userSchema), nextCursor: z.string().nullable() }),
            },
          },
        },
        ...errorResponses,
      },
    }),
    async (c) => {
      const principal = c.get('principal');
      requireRole(principal, 'supervisor', 'list users (GET /api/auth/me shows yourself)');
      const query = c.req.valid('query');
      const conditions = new Conditions();
      const scope = branchScope(principal);
      if (scope !== null) conditions.add((p) => `branch_id = ${p}`, scope);
      if (query.q !== undefined && query.q !== '') {
        conditions.add(
          (p) => `(email ilike ${p} or display_name ilike ${p})`,
          likePattern(query.q),
        );
      }
      if (query.role !== undefined) conditions.add((p) => `role = ${p}`, query.role);
      if (query.branchId !== undefined) conditions.add((p) => `branch_id = ${p}`, query.branchId);
      const page = await fetchKeysetPage<UserRow>(storage, {
        selectSql: userSelectSql,
        conditions,
        limit: query.limit,
        cursor: query.cursor,
      });
      return c.json({ items: page.rows.map(toUser), nextCursor: page.nextCursor }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/{id}',
      tags,
      summary: 'Read one user (officers: only themselves)',
      request: { params: idParamSchema },
      responses: {
        200: { description: 'the user', content: { 'application/json': { schema: userSchema } } },
        ...errorResponses,
      },
    }),
    async (c) => {
      const principal = c.get('principal');
      const { id } = c.req.valid('param');
      const row = await findVisibleUser(storage, principal, id);
      if (id !== principal.userId)
        requireRole(principal, 'supervisor', "read other users' records");
      return c.json(toUser(row), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/',
      tags,
      summary: 'Create a user (admins)',
      request: {
        body: { content: { 'application/json': { schema: createUserSchema } }, required: true },
      },
      responses: {
        201: {
          description: 'the new user',
          content: { 'application/json': { schema: userSchema } },
        },
        ...errorResponses,
      },
    }),
    async (c) => {
      const principal = c.get('principal');
      requireRole(principal, 'admin', 'create users');
      const input = c.req.valid('json');
      const created = await storage.transaction(async (tx) => {
        const id = await insertUser(tx, {
          email: input.email,
          displayName: input.displayName,
          role: input.role,
          branchId: input.branchId ?? null,
          password: input.password ?? null,
        });
        const after = toUser(await findUserRow(tx, id));
        await recordAudit(tx, {
          principal,
          action: 'create',
          entityType: 'users',
          entityId: id,
          branchId: after.branchId,
          before: null,
          after,
          requestId: c.get('requestId'),
        });
        return after;
      });
      return c.json(created, 201);
    },
  );

  app.openapi(
    createRoute({
      method: 'patch',
      path: '/{id}',
      tags,
      summary: 'Change, disable or re-enable a user, or set their password (admins)',
      description:
        'Disabling ends their sessions and revokes their API keys; a new password ends their sessions. At least one enabled admin always remains.',
      request: {
        params: idParamSchema,
        body: { content: { 'application/json': { schema: updateUserSchema } }, required: true },
      },
      responses: {
        200: {
          description: 'the changed user',
          content: { 'application/json': { schema: userSchema } },
        },
        ...errorResponses,
      },
    }),
    async (c) => {
      const principal = c.get('principal');
      const { id } = c.req.valid('param');
      const input = c.req.valid('json');
      const changed = await storage.transaction(async (tx) => {
        // Changes to users take turns, so two admins cannot each demote the other.
        await tx.query(`select pg_advisory_xact_lock(hashtext('pledgewatch.users'))`);
        const beforeRow = await findVisibleUser(tx, principal, id, { forUpdate: true });
        requireRole(principal, 'admin', 'change users');
        const before = toUser(beforeRow);
        const email = input.email ?? before.email;
        const role = input.role ?? before.role;
        const branchId = input.branchId !== undefined ? input.branchId : before.branchId;
        await checkRoleAndBranch(tx, role, branchId);
        const passwordHash =
          input.password === undefined ? null : await hashPassword(input.password, email);
        await tx.query(
          `update users set email = $2, display_name = $3, role = $4, branch_id = $5,
             password_hash = coalesce($6, password_hash),
             disabled_at = case when $7::boolean is null then disabled_at
                                when $7::boolean then coalesce(disabled_at, now())
                                else null end
           where id = $1`,
          [
            id,
            email,
            input.displayName ?? before.displayName,
            role,
            branchId,
            passwordHash,
            input.disabled ?? null,
          ],
        );
        if (input.disabled === true) await revokeAccess(tx, id, { apiKeys: true });
        else if (passwordHash !== null) await revokeAccess(tx, id, { apiKeys: false });
        const losesAnAdmin =
          before.role === 'admin' &&
          !before.disabled &&
          (role !== 'admin' || input.disabled === true);
        const { rows } = losesAnAdmin
          ? await tx.query<{ n: number }>(
              `select count(*)::int as n from users where role = 'admin' and disabled_at is null`,
            )
          : { rows: [] };
        if (rows[0]?.n === 0) {
          throw new ConflictError(
            `user ${id} is the last enabled admin: make another admin before demoting or disabling this one`,
          );
        }
        const after = toUser(await findUserRow(tx, id));
        await recordAudit(tx, {
          principal,
          action: 'update',
          entityType: 'users',
          entityId: id,
          branchId: after.branchId ?? before.branchId,
          before,
          after: passwordHash === null ? after : { ...after, passwordChanged: true },
          requestId: c.get('requestId'),
        });
        return after;
      });
      return c.json(changed, 200);
    },
  );

  return app;
}

async function findUserRow(db: Queryable, id: string): Promise<UserRow> {
  const { rows } = await db.query<UserRow>(`${userSelectSql} where t.id = $1`, [id]);
  const row = rows[0];
  if (row === undefined) throw new NotFoundError('user', id);
  return row;
}

/** The user if the principal's branch may see them (admins: everyone); a 404 otherwise. */
async function findVisibleUser(
  db: Queryable,
  principal: Principal,
  id: string,
  options: { forUpdate?: boolean } = {},
): Promise<UserRow> {
  const { rows } = await db.query<UserRow>(
    `${userSelectSql} where t.id = $1${options.forUpdate === true ? ' for update of t' : ''}`,
    [id],
  );
  const row = rows[0];
  const scope = branchScope(principal);
  if (
    row === undefined ||
    (scope !== null && row.branch_id !== scope && row.id !== principal.userId)
  ) {
    throw new NotFoundError('user', id);
  }
  return row;
}
