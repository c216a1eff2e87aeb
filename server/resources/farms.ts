/**
 * `/api/farms`: a borrower's farms, each a GeoJSON Feature whose geometry is the farm boundary
 * (also the livestock geofence). The boundary is checked by geo's `validatePolygon` before it is
 * stored; its area (WGS84 ellipsoid) and bbox are computed here and never taken from the input.
 * A farm belongs to its borrower's branch.
 *
 * Fixes (a clockwise ring rewound, repeated positions dropped) are applied, never refused: the
 * stored boundary is the fixed one, and the create answer lists them in `fixes`. A PATCH answers
 * with the stored boundary but no `fixes` (crudRoutes has no hook for extras on update).
 */
import { z } from '@hono/zod-openapi';
import type { ResourceSpec, Row, WriteContext } from '../api/crud.ts';
import { checkGeometry, refuseInput, type CheckedGeometry } from '../api/geometry-input.ts';
import { codeSchema, polygonalGeometrySchema } from '../api/schemas.ts';
import { canSeeBranch, type Principal } from '../auth/principal.ts';
import type { Queryable } from '../db/storage.ts';
import { ConflictError, NotFoundError } from '../errors.ts';

const bboxSchema = z.tuple([z.number(), z.number(), z.number(), z.number()]).openapi({
  description: '[minLng, minLat, maxLng, maxLat]',
  example: [3.018, 50.812, 3.03, 50.82],
});

export const farmPropertiesSchema = z
  .object({
    code: z.string().openapi({ example: 'F-KRT-01' }),
    name: z.string().openapi({ example: 'Hoeve Ter Beke' }),
    borrowerId: z.string().uuid(),
    borrowerRef: z.string().openapi({ example: 'B-001' }),
    borrowerName: z.string(),
    branchId: z.string().uuid(),
    branchCode: z.string().openapi({ example: 'KRT' }),
    areaM2: z.number().openapi({
      description: 'area of the boundary on the WGS84 ellipsoid, in m²',
      example: 84_000,
    }),
    parcelCount: z.number().int(),
    herdCount: z.number().int(),
    pledgedHeadCount: z.number().int(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi('FarmProperties');

export const farmSchema = z
  .object({
    type: z.literal('Feature'),
    id: z.string().uuid(),
    bbox: bboxSchema,
    geometry: polygonalGeometrySchema,
    properties: farmPropertiesSchema,
    fixes: z.array(z.string()).optional().openapi({
      description:
        'only in the answer to a create: what was corrected in the boundary before it was stored (e.g. a clockwise exterior ring rewound)',
    }),
  })
  .openapi('Farm');

const farmFields = {
  borrowerId: z
    .string()
    .uuid()
    .openapi({ description: 'the farm belongs to this borrower’s branch' }),
  code: codeSchema.openapi({ example: 'F-KRT-03' }),
  name: z.string().min(1).max(300).openapi({ example: 'Hof te Rollegem' }),
  boundary: polygonalGeometrySchema.openapi({
    description:
      'WGS84 [lng, lat]; checked for closure, self-intersection, range, area, holes; wrong winding is fixed',
  }),
};

const createFarmSchema = z.strictObject(farmFields).openapi('FarmCreate');
const updateFarmSchema = z.strictObject(farmFields).partial().openapi('FarmUpdate');

type CreateFarm = z.infer<typeof createFarmSchema>;
type UpdateFarm = z.infer<typeof updateFarmSchema>;

/** Geometry fixes of a create, handed from `insert` to `createExtras` of the same request. */
const createFixes = new WeakMap<WriteContext, readonly string[]>();

export const farmSelectSql = `
  select t.id, t.code, t.name, t.boundary, t.area_m2, t.min_lng, t.min_lat, t.max_lng, t.max_lat,
         t.borrower_id, b.ref as borrower_ref, b.name as borrower_name, b.branch_id,
         br.code as branch_code,
         (select count(*)::int from parcels p where p.farm_id = t.id) as parcel_count,
         (select count(*)::int from herds h where h.farm_id = t.id) as herd_count,
         (select coalesce(sum(h.pledged_head_count), 0)::int from herds h where h.farm_id = t.id)
           as pledged_head_count,
         t.created_at, t.updated_at, t.code as sort_key
  from farms t
  join borrowers b on b.id = t.borrower_id
  join branches br on br.id = b.branch_id`;

export const farmsSpec: ResourceSpec<CreateFarm, UpdateFarm> = {
  singular: 'farm',
  plural: 'farms',
  parentName: 'borrower',
  outputSchema: farmSchema,
  createSchema: createFarmSchema,
  updateSchema: updateFarmSchema,
  listShape: 'features',
  selectSql: farmSelectSql,
  searchColumns: ['code', 'name', 'borrower_ref', 'borrower_name'],
  hasBbox: true,
  filters: { borrowerId: 'borrower_id', branchId: 'branch_id' },
  roles: { write: 'officer', remove: 'supervisor' },
  toOutput: farmFeature,
  branchForCreate: async (tx, input) => borrowerBranch(tx, input.borrowerId),
  insert: async (tx, input, context) => {
    const boundary = requireBoundary(input.boundary, input.code);
    const id = await insertFarm(tx, { ...input, boundary });
    createFixes.set(context, boundary.fixes);
    return id;
  },
  createExtras: (_id, context) => ({ fixes: createFixes.get(context) ?? [] }),
  update: async (tx, id, input, { principal }) => {
    const { rows } = await tx.query<{ code: string }>('select code from farms where id = $1', [id]);
    const code = input.code ?? rows[0]?.code ?? id;
    const boundary = input.boundary === undefined ? null : requireBoundary(input.boundary, code);
    if (input.borrowerId !== undefined) await checkNewBorrower(tx, id, input.borrowerId, principal);
    await tx.query(
      `update farms set borrower_id = coalesce($2, borrower_id), code = coalesce($3, code),
         name = coalesce($4, name), boundary = coalesce($5::jsonb, boundary),
         area_m2 = coalesce($6, area_m2), min_lng = coalesce($7, min_lng),
         min_lat = coalesce($8, min_lat), max_lng = coalesce($9, max_lng),
         max_lat = coalesce($10, max_lat), updated_at = now()
       where id = $1`,
      [
        id,
        input.borrowerId ?? null,
        input.code ?? null,
        input.name ?? null,
        boundary === null ? null : JSON.stringify(boundary.geometry),
        boundary?.areaM2 ?? null,
        ...(boundary?.bbox ?? [null, null, null, null]),
      ],
    );
  },
  remove: async (tx, id) => {
    await refuseWhileInUse(tx, id);
    await tx.query('delete from farms where id = $1', [id]);
  },
};

/** The API shape of a farm row of `farmSelectSql`: a GeoJSON Feature. */
export function farmFeature(row: Row) {
  return {
    type: 'Feature' as const,
    id: String(row['id']),
    bbox: [row['min_lng'], row['min_lat'], row['max_lng'], row['max_lat']] as number[],
    geometry: row['boundary'],
    properties: {
      code: row['code'],
      name: row['name'],
      borrowerId: row['borrower_id'],
      borrowerRef: row['borrower_ref'],
      borrowerName: row['borrower_name'],
      branchId: row['branch_id'],
      branchCode: row['branch_code'],
      areaM2: row['area_m2'],
      parcelCount: row['parcel_count'],
      herdCount: row['herd_count'],
      pledgedHeadCount: row['pledged_head_count'],
      createdAt: (row['created_at'] as Date).toISOString(),
      updatedAt: (row['updated_at'] as Date).toISOString(),
    },
  };
}

/** A farm to write: fields as given, boundary already checked. */
export interface FarmDraft {
  readonly borrowerId: string;
  readonly code: string;
  readonly name: string;
  readonly boundary: CheckedGeometry;
}

export async function insertFarm(tx: Queryable, farm: FarmDraft): Promise<string> {
  const { rows } = await tx.query<{ id: string }>(
    `insert into farms (borrower_id, code, name, boundary, area_m2, min_lng, min_lat, max_lng, max_lat)
     values ($1, $2, $3, $4, $5, $6, $7, $8, $9) returning id`,
    [
      farm.borrowerId,
      farm.code,
      farm.name,
      JSON.stringify(farm.boundary.geometry),
      farm.boundary.areaM2,
      ...farm.boundary.bbox,
    ],
  );
  return String(rows[0]?.id);
}

function requireBoundary(boundary: unknown, code: string): CheckedGeometry {
  const checked = checkGeometry(boundary, {
    label: `farm ${JSON.stringify(code)} boundary`,
    path: 'json.boundary',
  });
  if (!checked.ok) refuseInput(checked.problems);
  return checked.value;
}

async function borrowerBranch(tx: Queryable, borrowerId: string): Promise<string | null> {
  const { rows } = await tx.query<{ branch_id: string }>(
    'select branch_id from borrowers where id = $1',
    [borrowerId],
  );
  return rows[0]?.branch_id ?? null;
}

/**
 * A farm may move to another borrower the caller can see, unless its parcels or herds are pledged
 * under loans of the current borrower: those pledges would then point at someone else's loan.
 */
async function checkNewBorrower(
  tx: Queryable,
  farmId: string,
  borrowerId: string,
  principal: Principal,
): Promise<void> {
  const branchId = await borrowerBranch(tx, borrowerId);
  if (branchId === null || !canSeeBranch(principal, branchId)) {
    throw new NotFoundError('borrower', borrowerId);
  }
  const { rows } = await tx.query<{ parcels: number; herds: number }>(
    `select (select count(*)::int from parcels p join loans l on l.id = p.loan_id
              where p.farm_id = $1 and l.borrower_id <> $2) as parcels,
            (select count(*)::int from herds h join loans l on l.id = h.loan_id
              where h.farm_id = $1 and l.borrower_id <> $2) as herds`,
    [farmId, borrowerId],
  );
  const pledged = rows[0] ?? { parcels: 0, herds: 0 };
  if (pledged.parcels > 0 || pledged.herds > 0) {
    throw new ConflictError(
      `json.borrowerId: the farm cannot move to borrower ${borrowerId}: ${pledged.parcels} parcel(s) and ${pledged.herds} herd(s) are pledged under loans of its current borrower`,
      { details: { parcels: pledged.parcels, herds: pledged.herds } },
    );
  }
}

/** A farm with parcels, herds or devices stays: the bank deletes those first, each audited. */
async function refuseWhileInUse(tx: Queryable, farmId: string): Promise<void> {
  const { rows } = await tx.query<Record<string, number>>(
    `select (select count(*)::int from parcels where farm_id = $1) as parcels,
            (select count(*)::int from herds where farm_id = $1) as herds,
            (select count(*)::int from gateways where farm_id = $1) as gateways,
            (select count(*)::int from cameras where farm_id = $1) as cameras`,
    [farmId],
  );
  const counts = rows[0] ?? {};
  const held = Object.entries(counts).filter(([, n]) => n > 0);
  if (held.length > 0) {
    throw new ConflictError(
      `farm ${farmId} still has ${held.map(([what, n]) => `${n} ${what}`).join(', ')}: delete them first`,
      { details: counts },
    );
  }
}
