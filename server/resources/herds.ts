import { z } from '@hono/zod-openapi';
import type { ResourceSpec, Row } from '../api/crud.ts';
import { codeSchema, currencySchema, moneySchema } from '../api/schemas.ts';
import type { Queryable } from '../db/storage.ts';
import { invalidField, refuseKeys } from './field-rules.ts';

export const species = ['cattle', 'sheep', 'goat', 'pig', 'horse'] as const;

export type Species = (typeof species)[number];

export const herdSchema = z
  .object({
    id: z.string().uuid(),
    branchId: z.string().uuid(),
    farmId: z.string().uuid(),
    loanId: z.string().uuid().nullable(),
    code: z.string().openapi({ example: 'H-KRT-02' }),
    name: z.string().openapi({ example: 'Dairy herd Ter Biest' }),
    species: z.enum(species),
    pledgedHeadCount: z.number().int(),
    valuePerHead: z.string().nullable().openapi({ example: '1850.00' }),
    currency: z.string().nullable().openapi({ example: 'EUR' }),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi('Herd');

const herdFields = {
  loanId: z
    .string()
    .uuid()
    .nullable()
    .optional()
    .openapi({ description: 'the loan the herd is pledged to: a loan of the farm’s borrower' }),
  code: codeSchema.openapi({ example: 'H-KRT-03' }),
  name: z.string().min(1).max(200),
  species: z.enum(species),
  pledgedHeadCount: z.number().int().min(0).max(2_147_483_647).openapi({ example: 110 }),
  valuePerHead: moneySchema.nullable().optional().openapi({ description: 'needs currency' }),
  currency: currencySchema.nullable().optional(),
};

const createHerdSchema = z
  .strictObject({ farmId: z.string().uuid(), ...herdFields })
  .superRefine((herd, ctx) => {
    const problem = valuationProblem(herd.valuePerHead, herd.currency);
    if (problem !== null)
      ctx.addIssue({ code: 'custom', path: [problem.field], message: problem.message });
  })
  .openapi('HerdCreate');

const updateHerdSchema = z
  .strictObject(herdFields, { error: refuseKeys(['farmId']) })
  .partial()
  .openapi('HerdUpdate');

type CreateHerd = z.infer<typeof createHerdSchema>;
type UpdateHerd = z.infer<typeof updateHerdSchema>;

interface StoredHerd {
  readonly borrowerId: string;
  readonly loanId: string | null;
  readonly code: string;
  readonly name: string;
  readonly species: Species;
  readonly pledgedHeadCount: number;
  readonly valuePerHead: string | null;
  readonly currency: string | null;
}

/** Herds, in the branch of their farm's borrower; listed by code, found in a bbox by their farm. */
export const herdsSpec: ResourceSpec<CreateHerd, UpdateHerd> = {
  singular: 'herd',
  plural: 'herds',
  parentName: 'farm',
  outputSchema: herdSchema,
  createSchema: createHerdSchema,
  updateSchema: updateHerdSchema,
  selectSql: `select t.id, b.branch_id, t.farm_id, t.loan_id, t.code, t.name, t.species,
                     t.pledged_head_count, t.value_per_head, t.currency, t.created_at, t.updated_at,
                     f.min_lng, f.min_lat, f.max_lng, f.max_lat, t.code as sort_key
              from herds t
              join farms f on f.id = t.farm_id
              join borrowers b on b.id = f.borrower_id`,
  searchColumns: ['code', 'name'],
  hasBbox: true,
  filters: { farmId: 'farm_id', loanId: 'loan_id' },
  roles: { write: 'officer', remove: 'supervisor' },
  toOutput: (row: Row) => ({
    id: row['id'],
    branchId: row['branch_id'],
    farmId: row['farm_id'],
    loanId: row['loan_id'] ?? null,
    code: row['code'],
    name: row['name'],
    species: row['species'],
    pledgedHeadCount: row['pledged_head_count'],
    valuePerHead: row['value_per_head'] ?? null,
    currency: row['currency'] ?? null,
    createdAt: (row['created_at'] as Date).toISOString(),
    updatedAt: (row['updated_at'] as Date).toISOString(),
  }),
  branchForCreate: async (tx, input) => (await farmOwner(tx, input.farmId))?.branchId ?? null,
  insert: async (tx, input) => {
    // The farm exists and is visible: crudRoutes checked its branch before calling insert.
    const farm = await farmOwner(tx, input.farmId);
    if (input.loanId != null) await checkLoan(tx, input.loanId, String(farm?.borrowerId));
    const { rows } = await tx.query<{ id: string }>(
      `insert into herds (farm_id, loan_id, code, name, species, pledged_head_count, value_per_head, currency)
       values ($1, $2, $3, $4, $5, $6, $7, $8) returning id`,
      [
        input.farmId,
        input.loanId ?? null,
        input.code,
        input.name,
        input.species,
        input.pledgedHeadCount,
        input.valuePerHead ?? null,
        input.currency ?? null,
      ],
    );
    return String(rows[0]?.id);
  },
  update: async (tx, id, input) => {
    const herd: StoredHerd = { ...(await loadHerd(tx, id)), ...input };
    const problem = valuationProblem(herd.valuePerHead, herd.currency);
    if (problem !== null) throw invalidField(problem.field, problem.message);
    if (input.loanId != null) await checkLoan(tx, input.loanId, herd.borrowerId);
    await tx.query(
      `update herds set loan_id = $2, code = $3, name = $4, species = $5, pledged_head_count = $6,
         value_per_head = $7, currency = $8, updated_at = now()
       where id = $1`,
      [
        id,
        herd.loanId,
        herd.code,
        herd.name,
        herd.species,
        herd.pledgedHeadCount,
        herd.valuePerHead,
        herd.currency,
      ],
    );
  },
  remove: async (tx, id) => {
    await tx.query('delete from herds where id = $1', [id]);
  },
};

async function farmOwner(
  tx: Queryable,
  farmId: string,
): Promise<{ borrowerId: string; branchId: string } | null> {
  const { rows } = await tx.query<{ borrower_id: string; branch_id: string }>(
    `select f.borrower_id, b.branch_id from farms f join borrowers b on b.id = f.borrower_id
     where f.id = $1`,
    [farmId],
  );
  const row = rows[0];
  return row === undefined ? null : { borrowerId: row.borrower_id, branchId: row.branch_id };
}

/** A herd is pledged only to a loan of its farm's borrower. */
async function checkLoan(tx: Queryable, loanId: string, borrowerId: string): Promise<void> {
  const { rows } = await tx.query('select 1 from loans where id = $1 and borrower_id = $2', [
    loanId,
    borrowerId,
  ]);
  if (rows.length === 0) {
    throw invalidField('loanId', `${loanId} is not a loan of the farm’s borrower`);
  }
}

async function loadHerd(tx: Queryable, id: string): Promise<StoredHerd> {
  const { rows } = await tx.query<Row>(
    `select f.borrower_id, t.loan_id, t.code, t.name, t.species, t.pledged_head_count,
            t.value_per_head, t.currency
     from herds t join farms f on f.id = t.farm_id where t.id = $1`,
    [id],
  );
  const row = rows[0] ?? {};
  return {
    borrowerId: String(row['borrower_id']),
    loanId: (row['loan_id'] as string | null) ?? null,
    code: String(row['code']),
    name: String(row['name']),
    species: row['species'] as Species,
    pledgedHeadCount: Number(row['pledged_head_count']),
    valuePerHead: (row['value_per_head'] as string | null) ?? null,
    currency: (row['currency'] as string | null) ?? null,
  };
}

/** A value per head means nothing without its currency, and a currency nothing without a value. */
function valuationProblem(
  valuePerHead: string | null | undefined,
  currency: string | null | undefined,
): { field: 'valuePerHead' | 'currency'; message: string } | null {
  if (valuePerHead != null && currency == null) {
    return { field: 'currency', message: `is required with valuePerHead ${valuePerHead}` };
  }
  if (currency != null && valuePerHead == null) {
    return { field: 'valuePerHead', message: `is required with currency ${currency}` };
  }
  return null;
}
