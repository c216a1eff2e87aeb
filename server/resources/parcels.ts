/**
 * `/api/parcels`: the fields pledged with a farm, each a GeoJSON Feature with the declared crop and
 * area (what the borrower says) beside the measured area (what the geometry says, on the WGS84
 * ellipsoid). A parcel belongs to its farm's branch; its loan must be a loan of the farm's borrower.
 *
 * A parcel outside its farm's boundary is stored with a warning, not refused: the boundary is the
 * yard (the livestock geofence), and a land register's fields often lie beyond it. The create
 * answer lists such `warnings` and any geometry `fixes`; a PATCH applies the same rules but cannot
 * report them (crudRoutes has no hook for extras on update).
 */
import { z } from '@hono/zod-openapi';
import type { ResourceSpec, Row, WriteContext } from '../api/crud.ts';
import { fieldProblemSchema, refuseInput, type FieldProblem } from '../api/geometry-input.ts';
import { codeSchema, polygonalGeometrySchema } from '../api/schemas.ts';
import type { Queryable } from '../db/storage.ts';
import { calendarDateSchema, refuseKeys } from './field-rules.ts';
import {
  checkParcel,
  checkParcelFields,
  checkParcelGeometry,
  insertParcel,
  loadParcelFarm,
  loadParcelLookups,
  seasonSchema,
  type ParcelDraft,
  type ParcelField,
  type ProblemNaming,
} from './parcels-check.ts';

export const parcelPropertiesSchema = z
  .object({
    farmId: z.string().uuid(),
    farmCode: z.string().openapi({ example: 'F-KRT-01' }),
    borrowerId: z.string().uuid(),
    branchId: z.string().uuid(),
    loanId: z.string().uuid().nullable(),
    loanReference: z.string().nullable().openapi({ example: 'L-2017-0001' }),
    code: z.string().openapi({ example: 'P-KRT-01-2' }),
    declaredCropCode: z.number().int().nullable().openapi({ example: 1200 }),
    declaredCropName: z.string().nullable().openapi({ example: 'Maize' }),
    declaredAreaM2: z
      .number()
      .nullable()
      .openapi({ description: 'as the borrower declared it, in m²' }),
    areaM2: z
      .number()
      .openapi({ description: 'measured: the geometry on the WGS84 ellipsoid, in m²' }),
    season: z.string().openapi({ example: '2018' }),
    seasonStart: z.string().nullable().openapi({ example: '2018-04-15' }),
    seasonEnd: z.string().nullable().openapi({ example: '2018-10-31' }),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi('ParcelProperties');

export const parcelSchema = z
  .object({
    type: z.literal('Feature'),
    id: z.string().uuid(),
    bbox: z.tuple([z.number(), z.number(), z.number(), z.number()]),
    geometry: polygonalGeometrySchema,
    properties: parcelPropertiesSchema,
    fixes: z.array(z.string()).optional().openapi({
      description:
        'only in the answer to a create: what was corrected in the geometry before it was stored',
    }),
    warnings: z.array(fieldProblemSchema).optional().openapi({
      description:
        'only in the answer to a create: e.g. outside_farm_boundary (the parcel is stored)',
    }),
  })
  .openapi('Parcel');

const parcelFields = {
  loanId: z
    .string()
    .uuid()
    .nullable()
    .optional()
    .openapi({ description: 'a loan of the farm’s borrower' }),
  code: codeSchema.openapi({ example: 'P-KRT-01-7' }),
  geometry: polygonalGeometrySchema,
  declaredCropCode: z
    .number()
    .int()
    .min(0)
    .nullable()
    .optional()
    .openapi({ description: 'a WorldCereal crop type code (GET crop_types)', example: 1200 }),
  declaredAreaM2: z.number().positive().nullable().optional().openapi({ example: 25_000 }),
  season: seasonSchema,
  seasonStart: calendarDateSchema.nullable().optional(),
  seasonEnd: calendarDateSchema.nullable().optional().openapi({ description: 'after seasonStart' }),
};

const createParcelSchema = z
  .strictObject({ farmId: z.string().uuid(), ...parcelFields })
  .openapi('ParcelCreate');
const updateParcelSchema = z
  .strictObject(parcelFields, { error: refuseKeys(['farmId']) })
  .partial()
  .openapi('ParcelUpdate');

type CreateParcel = z.infer<typeof createParcelSchema>;
type UpdateParcel = z.infer<typeof updateParcelSchema>;

/** Geometry fixes and warnings of a create, handed from `insert` to `createExtras`. */
const createNotes = new WeakMap<
  WriteContext,
  { fixes: readonly string[]; warnings: FieldProblem[] }
>();

export const parcelSelectSql = `
  select t.id, t.farm_id, f.code as farm_code, f.borrower_id, b.ref as borrower_ref, b.branch_id,
         t.loan_id, l.reference as loan_reference, t.code, t.geometry, t.area_m2,
         t.min_lng, t.min_lat, t.max_lng, t.max_lat, t.declared_crop_code,
         c.name as declared_crop_name, t.declared_area_m2, t.season, t.season_start, t.season_end,
         t.created_at, t.updated_at, f.code || ' ' || t.code || ' ' || t.season as sort_key
  from parcels t
  join farms f on f.id = t.farm_id
  join borrowers b on b.id = f.borrower_id
  left join loans l on l.id = t.loan_id
  left join crop_types c on c.code = t.declared_crop_code`;

/** Names fields as the JSON body does: `json.loanId`. */
function apiNaming(code: string): ProblemNaming {
  return {
    label: `parcel ${JSON.stringify(code)}`,
    path: (field: ParcelField) => `json.${field}`,
    name: (field: ParcelField) => field,
  };
}

export const parcelsSpec: ResourceSpec<CreateParcel, UpdateParcel> = {
  singular: 'parcel',
  plural: 'parcels',
  parentName: 'farm',
  outputSchema: parcelSchema,
  createSchema: createParcelSchema,
  updateSchema: updateParcelSchema,
  listShape: 'features',
  selectSql: parcelSelectSql,
  searchColumns: ['code', 'farm_code', 'season', 'declared_crop_name', 'loan_reference'],
  hasBbox: true,
  filters: { farmId: 'farm_id', loanId: 'loan_id', borrowerId: 'borrower_id' },
  roles: { write: 'officer', remove: 'supervisor' },
  toOutput: parcelFeature,
  branchForCreate: async (tx, input) => (await loadParcelFarm(tx, input.farmId))?.branchId ?? null,
  insert: async (tx, input, context) => {
    // crudRoutes checked that the farm exists and the caller may see its branch.
    const farm = await loadParcelFarm(tx, input.farmId);
    if (farm === null) throw new Error(`farm ${input.farmId} vanished inside the transaction`);
    const checked = checkParcel(
      draftOf(input),
      input.geometry,
      farm,
      await loadParcelLookups(tx, farm),
      apiNaming(input.code),
    );
    if (!checked.ok) refuseInput(checked.problems);
    const id = await insertParcel(tx, farm.id, checked.value);
    createNotes.set(context, { fixes: checked.value.geometry.fixes, warnings: checked.warnings });
    return id;
  },
  createExtras: (_id, context) => createNotes.get(context) ?? { fixes: [], warnings: [] },
  update: async (tx, id, input) => {
    const stored = await loadStoredParcel(tx, id);
    const farm = await loadParcelFarm(tx, stored.farmId);
    if (farm === null) throw new Error(`farm ${stored.farmId} of parcel ${id} not found`);
    const draft: ParcelDraft = { ...stored.draft, ...definedOf(draftOf(input), input) };
    const naming = apiNaming(draft.code);
    const problems: FieldProblem[] = [];
    const fields = checkParcelFields(draft, farm, await loadParcelLookups(tx, farm), naming);
    if (!fields.ok) problems.push(...fields.problems);
    const shape =
      input.geometry === undefined ? null : checkParcelGeometry(input.geometry, farm, naming);
    if (shape !== null && !shape.ok) problems.push(...shape.problems);
    if (problems.length > 0) refuseInput(problems);
    const geometry = shape?.ok === true ? shape.value : null;
    await tx.query(
      `update parcels set loan_id = $2, code = $3, declared_crop_code = $4, declared_area_m2 = $5,
         season = $6, season_start = $7, season_end = $8,
         geometry = coalesce($9::jsonb, geometry), area_m2 = coalesce($10, area_m2),
         min_lng = coalesce($11, min_lng), min_lat = coalesce($12, min_lat),
         max_lng = coalesce($13, max_lng), max_lat = coalesce($14, max_lat), updated_at = now()
       where id = $1`,
      [
        id,
        fields.ok ? fields.value.loanId : null,
        draft.code,
        draft.declaredCropCode,
        draft.declaredAreaM2,
        draft.season,
        draft.seasonStart,
        draft.seasonEnd,
        geometry === null ? null : JSON.stringify(geometry.geometry),
        geometry?.areaM2 ?? null,
        ...(geometry?.bbox ?? [null, null, null, null]),
      ],
    );
  },
  remove: async (tx, id) => {
    await tx.query('delete from parcels where id = $1', [id]);
  },
};

/** The API shape of a row of `parcelSelectSql`: a GeoJSON Feature. */
export function parcelFeature(row: Row) {
  const declaredCropCode = row['declared_crop_code'];
  return {
    type: 'Feature' as const,
    id: String(row['id']),
    bbox: [row['min_lng'], row['min_lat'], row['max_lng'], row['max_lat']] as number[],
    geometry: row['geometry'],
    properties: {
      farmId: row['farm_id'],
      farmCode: row['farm_code'],
      borrowerId: row['borrower_id'],
      branchId: row['branch_id'],
      loanId: row['loan_id'] ?? null,
      loanReference: row['loan_reference'] ?? null,
      code: row['code'],
      declaredCropCode: declaredCropCode == null ? null : Number(declaredCropCode),
      declaredCropName: row['declared_crop_name'] ?? null,
      declaredAreaM2: row['declared_area_m2'] ?? null,
      areaM2: row['area_m2'],
      season: row['season'],
      seasonStart: row['season_start'] ?? null,
      seasonEnd: row['season_end'] ?? null,
      createdAt: (row['created_at'] as Date).toISOString(),
      updatedAt: (row['updated_at'] as Date).toISOString(),
    },
  };
}

function draftOf(input: Partial<CreateParcel>): ParcelDraft {
  return {
    code: input.code ?? '',
    loanId: input.loanId ?? null,
    declaredCropCode: input.declaredCropCode ?? null,
    declaredAreaM2: input.declaredAreaM2 ?? null,
    season: input.season ?? '',
    seasonStart: input.seasonStart ?? null,
    seasonEnd: input.seasonEnd ?? null,
  };
}

/** Only the fields the PATCH body names (a `null` there clears the field). */
function definedOf(draft: ParcelDraft, input: UpdateParcel): Partial<ParcelDraft> {
  return Object.fromEntries(
    Object.entries(draft).filter(([key]) => (input as Record<string, unknown>)[key] !== undefined),
  );
}

async function loadStoredParcel(
  tx: Queryable,
  id: string,
): Promise<{ farmId: string; draft: ParcelDraft }> {
  const { rows } = await tx.query<Row>(
    `select farm_id, loan_id, code, declared_crop_code, declared_area_m2, season, season_start, season_end
     from parcels where id = $1`,
    [id],
  );
  const row = rows[0] ?? {};
  const crop = row['declared_crop_code'];
  return {
    farmId: String(row['farm_id']),
    draft: {
      code: String(row['code']),
      loanId: (row['loan_id'] as string | null) ?? null,
      declaredCropCode: crop == null ? null : Number(crop),
      declaredAreaM2: (row['declared_area_m2'] as number | null) ?? null,
      season: String(row['season']),
      seasonStart: (row['season_start'] as string | null) ?? null,
      seasonEnd: (row['season_end'] as string | null) ?? null,
    },
  };
}
