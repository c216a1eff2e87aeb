import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import type { Context } from 'hono';
import type { AppEnv, Services } from '../app-env.ts';
import {
  branchScope,
  canSeeBranch,
  hasRole,
  type Principal,
  type Role,
} from '../auth/principal.ts';
import { recordAudit } from '../db/audit.ts';
import type { Queryable } from '../db/storage.ts';
import { ForbiddenError, NotFoundError } from '../errors.ts';
import { errorResponses, idParamSchema } from './schemas.ts';
import { createApiRouter } from './router.ts';
import { Conditions, fetchKeysetPage, type KeysetRow } from './keyset-page.ts';
import { likePattern, listQuerySchema, parseBbox, type ListQuery } from './pagination.ts';

export type Row = Record<string, unknown>;

export interface WriteContext {
  readonly principal: Principal;
  readonly requestId: string;
  readonly services: Services;
}

/**
 * What one resource needs to get list, read, create, update and delete routes with branch
 * isolation, cursor pagination, text and bbox filters, audit records and OpenAPI documentation.
 */
export interface ResourceSpec<Create, Update> {
  /** Singular noun for messages: "borrower". */
  readonly singular: string;
  /** Path segment, OpenAPI tag and audit entity type: "borrowers". */
  readonly plural: string;
  readonly outputSchema: z.ZodType;
  readonly createSchema: z.ZodType<Create>;
  readonly updateSchema: z.ZodType<Update>;
  /**
   * `select ... from <table> t ...` (no where clause) returning the columns toOutput needs, `id`,
   * the owning branch as `branch_id` and the sort key as `sort_key` (text; the id breaks ties).
   * Lists wrap it as a subquery, so filters below name its output columns.
   */
  readonly selectSql: string;
  /** Output columns searched by `q`. */
  readonly searchColumns: readonly string[];
  /** Whether the select outputs min_lng/min_lat/max_lng/max_lat for the bbox filter. */
  readonly hasBbox: boolean;
  /**
   * Extra equality filters: query parameter -> output column (a uuid), or a ListFilter naming the
   * column and the schema of a non-uuid value (e.g. an enum).
   */
  readonly filters?: Readonly<Record<string, string | ListFilter>>;
  /**
   * Audit rows of this resource carry no branch (`branch_id` null): for the branches resource,
   * whose rows would otherwise reference the very branch being deleted.
   */
  readonly unscopedAudit?: boolean;
  readonly roles: { readonly write: Role; readonly remove: Role };
  toOutput(row: Row): unknown;
  /** The branch a new item will belong to, resolved from its parent; null if the parent does not exist. */
  branchForCreate(tx: Queryable, input: Create, principal: Principal): Promise<string | null>;
  insert(tx: Queryable, input: Create, context: WriteContext): Promise<string>;
  update(tx: Queryable, id: string, input: Update, context: WriteContext): Promise<void>;
  remove(tx: Queryable, id: string, context: WriteContext): Promise<void>;
  /** Extra fields for the create answer (e.g. a secret shown once). */
  readonly createExtras?: (id: string, context: WriteContext) => Record<string, unknown>;
  /** Name of the parent for a 404 on create: "borrower". */
  readonly parentName: string | null;
  /**
   * 'features': items are GeoJSON Features and a list is a FeatureCollection (with `nextCursor`
   * as a foreign member), so a map can load a page directly.
   */
  readonly listShape?: 'items' | 'features';
}

/** An equality filter on a non-uuid column: `{ column: 'status', schema: z.enum([...]) }`. */
export interface ListFilter {
  readonly column: string;
  readonly schema: z.ZodType<string>;
}

export function crudRoutes<Create, Update>(
  services: Services,
  spec: ResourceSpec<Create, Update>,
): OpenAPIHono<AppEnv> {
  const app = createApiRouter();
  const tag = spec.plural;
  const filterSchema = z.object(
    Object.fromEntries(
      Object.entries(spec.filters ?? {}).map(([name, filter]) => [
        name,
        (typeof filter === 'string' ? z.string().uuid() : filter.schema).optional(),
      ]),
    ),
  );
  const listResponse =
    spec.listShape === 'features'
      ? z.object({
          type: z.literal('FeatureCollection'),
          features: z.array(spec.outputSchema),
          nextCursor: z.string().nullable(),
        })
      : z.object({ items: z.array(spec.outputSchema), nextCursor: z.string().nullable() });

  app.openapi(
    createRoute({
      method: 'get',
      path: '/',
      tags: [tag],
      summary: `List ${spec.plural}`,
      request: { query: listQuerySchema.merge(filterSchema) },
      responses: {
        200: {
          description: `a page of ${spec.plural}`,
          content: { 'application/json': { schema: listResponse } },
        },
        ...errorResponses,
      },
    }),
    async (c) => {
      const query = c.req.valid('query') as ListQuery & Record<string, string | undefined>;
      const page = await listRows(services, spec, c.get('principal'), query);
      return c.json(
        spec.listShape === 'features'
          ? {
              type: 'FeatureCollection' as const,
              features: page.items,
              nextCursor: page.nextCursor,
            }
          : page,
        200,
      );
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/{id}',
      tags: [tag],
      summary: `Read one ${spec.singular}`,
      request: { params: idParamSchema },
      responses: {
        200: {
          description: spec.singular,
          content: { 'application/json': { schema: spec.outputSchema } },
        },
        ...errorResponses,
      },
    }),
    async (c) => {
      const row = await findVisible(
        services.storage,
        spec,
        c.get('principal'),
        c.req.valid('param').id,
      );
      return c.json(spec.toOutput(row) as object, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/',
      tags: [tag],
      summary: `Create a ${spec.singular}`,
      request: {
        body: { content: { 'application/json': { schema: spec.createSchema } }, required: true },
      },
      responses: {
        201: {
          description: `the new ${spec.singular}`,
          content: { 'application/json': { schema: spec.outputSchema } },
        },
        ...errorResponses,
      },
    }),
    async (c) => {
      const context = writeContext(c, services);
      requireRole(context.principal, spec.roles.write, `create ${spec.plural}`);
      const input = c.req.valid('json') as Create;
      const created = await services.storage.transaction(async (tx) => {
        const branchId = await spec.branchForCreate(tx, input, context.principal);
        if (branchId === null || !canSeeBranch(context.principal, branchId)) {
          throw new NotFoundError(spec.parentName ?? 'parent', 'given');
        }
        const id = await spec.insert(tx, input, context);
        const row = await findRow(tx, spec, id);
        const after = spec.toOutput(row);
        await recordAudit(tx, audit(context, 'create', spec, id, branchId, null, after));
        return { id, after };
      });
      return c.json(
        { ...(created.after as object), ...spec.createExtras?.(created.id, context) },
        201,
      );
    },
  );

  app.openapi(
    createRoute({
      method: 'patch',
      path: '/{id}',
      tags: [tag],
      summary: `Change a ${spec.singular}`,
      request: {
        params: idParamSchema,
        body: { content: { 'application/json': { schema: spec.updateSchema } }, required: true },
      },
      responses: {
        200: {
          description: `the changed ${spec.singular}`,
          content: { 'application/json': { schema: spec.outputSchema } },
        },
        ...errorResponses,
      },
    }),
    async (c) => {
      const context = writeContext(c, services);
      const { id } = c.req.valid('param');
      const input = c.req.valid('json') as Update;
      const after = await services.storage.transaction(async (tx) => {
        const beforeRow = await findVisible(tx, spec, context.principal, id, { forUpdate: true });
        requireRole(context.principal, spec.roles.write, `change ${spec.plural}`);
        await spec.update(tx, id, input, context);
        const afterRow = await findRow(tx, spec, id);
        const result = spec.toOutput(afterRow);
        await recordAudit(
          tx,
          audit(
            context,
            'update',
            spec,
            id,
            String(beforeRow['branch_id']),
            spec.toOutput(beforeRow),
            result,
          ),
        );
        return result;
      });
      return c.json(after as object, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'delete',
      path: '/{id}',
      tags: [tag],
      summary: `Delete a ${spec.singular}`,
      request: { params: idParamSchema },
      responses: { 204: { description: 'deleted' }, ...errorResponses },
    }),
    async (c) => {
      const context = writeContext(c, services);
      const { id } = c.req.valid('param');
      await services.storage.transaction(async (tx) => {
        const beforeRow = await findVisible(tx, spec, context.principal, id, { forUpdate: true });
        requireRole(context.principal, spec.roles.remove, `delete ${spec.plural}`);
        await spec.remove(tx, id, context);
        await recordAudit(
          tx,
          audit(
            context,
            'delete',
            spec,
            id,
            String(beforeRow['branch_id']),
            spec.toOutput(beforeRow),
            null,
          ),
        );
      });
      return c.body(null, 204);
    },
  );

  return app;
}

export function requireRole(principal: Principal, atLeast: Role, what: string): void {
  if (!hasRole(principal, atLeast)) {
    throw new ForbiddenError(`role ${principal.role} may not ${what}: needs ${atLeast} or above`);
  }
}

function writeContext(c: Context<AppEnv>, services: Services): WriteContext {
  return { principal: c.get('principal'), requestId: c.get('requestId'), services };
}

function audit<C, U>(
  context: WriteContext,
  action: 'create' | 'update' | 'delete',
  spec: ResourceSpec<C, U>,
  id: string,
  branchId: string,
  before: unknown,
  after: unknown,
) {
  return {
    principal: context.principal,
    action,
    entityType: spec.plural,
    entityId: id,
    branchId: spec.unscopedAudit === true ? null : branchId,
    before,
    after,
    requestId: context.requestId,
  };
}

async function findRow<C, U>(db: Queryable, spec: ResourceSpec<C, U>, id: string): Promise<Row> {
  const { rows } = await db.query<Row>(`${spec.selectSql} where t.id = $1`, [id]);
  const row = rows[0];
  if (row === undefined) throw new NotFoundError(spec.singular, id);
  return row;
}

/** The row if it exists and the principal's branch may see it; a 404 either way otherwise. */
export async function findVisible<C, U>(
  db: Queryable,
  spec: ResourceSpec<C, U>,
  principal: Principal,
  id: string,
  options: { forUpdate?: boolean } = {},
): Promise<Row> {
  const { rows } = await db.query<Row>(
    `${spec.selectSql} where t.id = $1${options.forUpdate === true ? ' for update of t' : ''}`,
    [id],
  );
  const row = rows[0];
  if (row === undefined || !canSeeBranch(principal, String(row['branch_id']))) {
    throw new NotFoundError(spec.singular, id);
  }
  return row;
}

async function listRows<C, U>(
  services: Services,
  spec: ResourceSpec<C, U>,
  principal: Principal,
  query: ListQuery & Record<string, string | undefined>,
): Promise<{ items: unknown[]; nextCursor: string | null }> {
  const conditions = new Conditions();
  const scope = branchScope(principal);
  if (scope !== null) conditions.add((p) => `branch_id = ${p}`, scope);
  if (query.q !== undefined && query.q !== '' && spec.searchColumns.length > 0) {
    conditions.add(
      (p) => `(${spec.searchColumns.map((col) => `${col} ilike ${p}`).join(' or ')})`,
      likePattern(query.q),
    );
  }
  if (query.bbox !== undefined && spec.hasBbox) {
    const [minLng, minLat, maxLng, maxLat] = parseBbox(query.bbox);
    conditions
      .add((p) => `max_lng >= ${p}`, minLng)
      .add((p) => `min_lng <= ${p}`, maxLng)
      .add((p) => `max_lat >= ${p}`, minLat)
      .add((p) => `min_lat <= ${p}`, maxLat);
  }
  for (const [name, filter] of Object.entries(spec.filters ?? {})) {
    const column = typeof filter === 'string' ? filter : filter.column;
    const value = query[name];
    if (value !== undefined) conditions.add((p) => `${column} = ${p}`, value);
  }
  const page = await fetchKeysetPage<Row & KeysetRow>(services.storage, {
    selectSql: spec.selectSql,
    conditions,
    limit: query.limit,
    cursor: query.cursor,
  });
  return { items: page.rows.map((row) => spec.toOutput(row)), nextCursor: page.nextCursor };
}
