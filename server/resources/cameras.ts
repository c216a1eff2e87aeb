import { z } from '@hono/zod-openapi';
import type { ResourceSpec, Row } from '../api/crud.ts';
import { codeSchema } from '../api/schemas.ts';
import type { Queryable } from '../db/storage.ts';
import { invalidField, refuseKeys } from './field-rules.ts';

export const cameraSchema = z
  .object({
    id: z.string().uuid(),
    branchId: z.string().uuid(),
    farmId: z.string().uuid(),
    gatewayId: z.string().uuid().nullable(),
    code: z.string().openapi({ example: 'CAM-KRT-02-A' }),
    name: z.string().openapi({ example: 'Camera north paddock' }),
    zone: z.string().nullable().openapi({ example: 'north paddock' }),
    createdAt: z.string(),
  })
  .openapi('Camera');

const cameraFields = {
  gatewayId: z
    .string()
    .uuid()
    .nullable()
    .optional()
    .openapi({ description: 'the gateway the camera reports through: one of the same farm' }),
  code: codeSchema.openapi({ example: 'CAM-KRT-02-C' }),
  name: z.string().min(1).max(200),
  zone: z.string().min(1).max(200).nullable().optional(),
};

const createCameraSchema = z
  .strictObject({ farmId: z.string().uuid(), ...cameraFields })
  .openapi('CameraCreate');

const updateCameraSchema = z
  .strictObject(cameraFields, { error: refuseKeys(['farmId']) })
  .partial()
  .openapi('CameraUpdate');

type CreateCamera = z.infer<typeof createCameraSchema>;
type UpdateCamera = z.infer<typeof updateCameraSchema>;

/** Cameras on a farm, in the branch of the farm's borrower; codes are unique across the bank. */
export const camerasSpec: ResourceSpec<CreateCamera, UpdateCamera> = {
  singular: 'camera',
  plural: 'cameras',
  parentName: 'farm',
  outputSchema: cameraSchema,
  createSchema: createCameraSchema,
  updateSchema: updateCameraSchema,
  selectSql: `select t.id, b.branch_id, t.farm_id, t.gateway_id, t.code, t.name, t.zone, t.created_at,
                     f.min_lng, f.min_lat, f.max_lng, f.max_lat, t.code as sort_key
              from cameras t
              join farms f on f.id = t.farm_id
              join borrowers b on b.id = f.borrower_id`,
  searchColumns: ['code', 'name', 'zone'],
  hasBbox: true,
  filters: { farmId: 'farm_id', gatewayId: 'gateway_id' },
  roles: { write: 'officer', remove: 'supervisor' },
  toOutput: (row: Row) => ({
    id: row['id'],
    branchId: row['branch_id'],
    farmId: row['farm_id'],
    gatewayId: row['gateway_id'] ?? null,
    code: row['code'],
    name: row['name'],
    zone: row['zone'] ?? null,
    createdAt: (row['created_at'] as Date).toISOString(),
  }),
  branchForCreate: async (tx, input) => {
    const { rows } = await tx.query<{ branch_id: string }>(
      `select b.branch_id from farms f join borrowers b on b.id = f.borrower_id where f.id = $1`,
      [input.farmId],
    );
    return rows[0]?.branch_id ?? null;
  },
  insert: async (tx, input) => {
    // The farm exists and is visible: crudRoutes checked its branch before calling insert.
    if (input.gatewayId != null) await checkGateway(tx, input.gatewayId, input.farmId);
    const { rows } = await tx.query<{ id: string }>(
      `insert into cameras (farm_id, gateway_id, code, name, zone)
       values ($1, $2, $3, $4, $5) returning id`,
      [input.farmId, input.gatewayId ?? null, input.code, input.name, input.zone ?? null],
    );
    return String(rows[0]?.id);
  },
  update: async (tx, id, input) => {
    const camera = { ...(await loadCamera(tx, id)), ...input };
    if (input.gatewayId != null) await checkGateway(tx, input.gatewayId, camera.farmId);
    await tx.query(
      'update cameras set gateway_id = $2, code = $3, name = $4, zone = $5 where id = $1',
      [id, camera.gatewayId, camera.code, camera.name, camera.zone],
    );
  },
  remove: async (tx, id) => {
    await tx.query('delete from cameras where id = $1', [id]);
  },
};

async function loadCamera(
  tx: Queryable,
  id: string,
): Promise<{
  farmId: string;
  gatewayId: string | null;
  code: string;
  name: string;
  zone: string | null;
}> {
  const { rows } = await tx.query<Row>(
    'select farm_id, gateway_id, code, name, zone from cameras where id = $1',
    [id],
  );
  const row = rows[0] ?? {};
  return {
    farmId: String(row['farm_id']),
    gatewayId: (row['gateway_id'] as string | null) ?? null,
    code: String(row['code']),
    name: String(row['name']),
    zone: (row['zone'] as string | null) ?? null,
  };
}

/** A camera reports through a gateway of its own farm. */
async function checkGateway(tx: Queryable, gatewayId: string, farmId: string): Promise<void> {
  const { rows } = await tx.query('select 1 from gateways where id = $1 and farm_id = $2', [
    gatewayId,
    farmId,
  ]);
  if (rows.length === 0) {
    throw invalidField('gatewayId', `${gatewayId} is not a gateway of the camera’s farm`);
  }
}
