import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import type { AppEnv, Services } from '../app-env.ts';
import {
  crudRoutes,
  findVisible,
  requireRole,
  type ResourceSpec,
  type Row,
  type WriteContext,
} from '../api/crud.ts';
import { codeSchema, errorResponses, idParamSchema } from '../api/schemas.ts';
import { generateSecret, hashSecret } from '../auth/secrets.ts';
import { recordAudit } from '../db/audit.ts';
import { refuseKeys } from './field-rules.ts';

export const gatewaySchema = z
  .object({
    id: z.string().uuid(),
    branchId: z.string().uuid(),
    farmId: z.string().uuid(),
    code: z.string().openapi({ example: 'GW-KRT-01', description: 'the gateway’s login name' }),
    name: z.string().openapi({ example: 'Barn gateway' }),
    secretRotatedAt: z.string(),
    lastSeenAt: z.string().nullable(),
    disabled: z.boolean(),
    createdAt: z.string(),
  })
  .openapi('Gateway');

const gatewayWithSecretSchema = gatewaySchema
  .extend({
    secret: z.string().openapi({
      description:
        'the gateway’s secret: shown only in this answer, stored hashed; put it on the device now',
    }),
  })
  .openapi('GatewayWithSecret');

const gatewayFields = {
  code: codeSchema.openapi({ example: 'GW-KRT-03' }),
  name: z.string().min(1).max(200).openapi({ example: 'Milking parlour gateway' }),
};

const createGatewaySchema = z
  .strictObject({ farmId: z.string().uuid(), ...gatewayFields })
  .openapi('GatewayCreate');

const updateGatewaySchema = z
  .strictObject(
    {
      ...gatewayFields,
      disabled: z
        .boolean()
        .openapi({ description: 'a disabled gateway’s requests are refused (401)' }),
    },
    { error: refuseKeys(['farmId', 'secret']) },
  )
  .partial()
  .openapi('GatewayUpdate');

type Gateway = z.infer<typeof gatewaySchema>;
type CreateGateway = z.infer<typeof createGatewaySchema>;
type UpdateGateway = z.infer<typeof updateGatewaySchema>;

function toGateway(row: Row): Gateway {
  return {
    id: String(row['id']),
    branchId: String(row['branch_id']),
    farmId: String(row['farm_id']),
    code: String(row['code']),
    name: String(row['name']),
    secretRotatedAt: (row['secret_rotated_at'] as Date).toISOString(),
    lastSeenAt: (row['last_seen_at'] as Date | null)?.toISOString() ?? null,
    disabled: row['disabled_at'] !== null,
    createdAt: (row['created_at'] as Date).toISOString(),
  };
}

/** New secrets between `insert` and `createExtras`, which see the same request's context. */
const newSecrets = new WeakMap<WriteContext, string>();

/**
 * A farm's gateways, in the branch of the farm's borrower. The API generates each gateway's secret,
 * answers it once (on create and on rotation) and keeps only its scrypt hash: the secret is in no
 * list, read or audit record. Supervisors and admins manage gateways; officers read them.
 */
export const gatewaysSpec: ResourceSpec<CreateGateway, UpdateGateway> = {
  singular: 'gateway',
  plural: 'gateways',
  parentName: 'farm',
  outputSchema: gatewaySchema,
  createSchema: createGatewaySchema,
  updateSchema: updateGatewaySchema,
  selectSql: `select t.id, b.branch_id, t.farm_id, t.code, t.name, t.secret_rotated_at, t.last_seen_at,
                     t.disabled_at, t.created_at, f.min_lng, f.min_lat, f.max_lng, f.max_lat,
                     t.code as sort_key
              from gateways t
              join farms f on f.id = t.farm_id
              join borrowers b on b.id = f.borrower_id`,
  searchColumns: ['code', 'name'],
  hasBbox: true,
  filters: { farmId: 'farm_id' },
  roles: { write: 'supervisor', remove: 'supervisor' },
  toOutput: toGateway,
  branchForCreate: async (tx, input) => {
    const { rows } = await tx.query<{ branch_id: string }>(
      'select b.branch_id from farms f join borrowers b on b.id = f.borrower_id where f.id = $1',
      [input.farmId],
    );
    return rows[0]?.branch_id ?? null;
  },
  insert: async (tx, input, context) => {
    const secret = generateSecret();
    const { rows } = await tx.query<{ id: string }>(
      'insert into gateways (farm_id, code, name, secret_hash) values ($1, $2, $3, $4) returning id',
      [input.farmId, input.code, input.name, await hashSecret(secret)],
    );
    newSecrets.set(context, secret);
    return String(rows[0]?.id);
  },
  createExtras: (_id, context) => {
    const secret = newSecrets.get(context);
    newSecrets.delete(context);
    return { secret };
  },
  update: async (tx, id, input) => {
    await tx.query(
      `update gateways set code = coalesce($2, code), name = coalesce($3, name),
         disabled_at = case when $4::boolean is null then disabled_at
                            when $4::boolean then coalesce(disabled_at, now())
                            else null end
       where id = $1`,
      [id, input.code ?? null, input.name ?? null, input.disabled ?? null],
    );
  },
  remove: async (tx, id) => {
    await tx.query('delete from gateways where id = $1', [id]);
  },
};

/**
 * `/api/gateways`: the CRUD routes plus `POST /{id}/rotate-secret`, which answers a new secret once
 * and refuses the old one from that moment (the ingest path checks against the stored hash).
 */
export function createGatewayRoutes(services: Services): OpenAPIHono<AppEnv> {
  const app = crudRoutes(services, gatewaysSpec);
  app.openapi(
    createRoute({
      method: 'post',
      path: '/{id}/rotate-secret',
      tags: ['gateways'],
      summary: 'Give a gateway a new secret (supervisors); the old one stops working at once',
      request: { params: idParamSchema },
      responses: {
        200: {
          description: 'the gateway with its new secret, shown this once',
          content: { 'application/json': { schema: gatewayWithSecretSchema } },
        },
        ...errorResponses,
      },
    }),
    async (c) => {
      const principal = c.get('principal');
      const { id } = c.req.valid('param');
      const secret = generateSecret();
      const after = await services.storage.transaction(async (tx) => {
        const beforeRow = await findVisible(tx, gatewaysSpec, principal, id, { forUpdate: true });
        requireRole(principal, 'supervisor', 'rotate gateway secrets');
        await tx.query(
          'update gateways set secret_hash = $2, secret_rotated_at = now() where id = $1',
          [id, await hashSecret(secret)],
        );
        const result = toGateway(await findVisible(tx, gatewaysSpec, principal, id));
        await recordAudit(tx, {
          principal,
          action: 'rotate_secret',
          entityType: 'gateways',
          entityId: id,
          branchId: String(beforeRow['branch_id']),
          before: toGateway(beforeRow),
          after: result,
          requestId: c.get('requestId'),
        });
        return result;
      });
      return c.json({ ...after, secret }, 200);
    },
  );
  return app;
}
