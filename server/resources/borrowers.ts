import { z } from '@hono/zod-openapi';
import type { ResourceSpec, Row } from '../api/crud.ts';
import { branchScope } from '../auth/principal.ts';
import { InvalidInputError } from '../errors.ts';

export const borrowerSchema = z
  .object({
    id: z.string().uuid(),
    branchId: z.string().uuid(),
    ref: z.string().openapi({ example: 'B-001' }),
    name: z.string().openapi({ example: 'Hoeve Ter Beke BV' }),
    registrationNo: z.string().nullable().openapi({ example: 'BE0412345678' }),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi('Borrower');

const createBorrowerSchema = z
  .object({
    branchId: z
      .string()
      .uuid()
      .optional()
      .openapi({ description: "defaults to the caller's branch" }),
    ref: z.string().min(1).max(64),
    name: z.string().min(1).max(300),
    registrationNo: z.string().max(64).nullable().optional(),
  })
  .strict()
  .openapi('BorrowerCreate');

const updateBorrowerSchema = createBorrowerSchema
  .omit({ branchId: true })
  .partial()
  .strict()
  .openapi('BorrowerUpdate');

type CreateBorrower = z.infer<typeof createBorrowerSchema>;
type UpdateBorrower = z.infer<typeof updateBorrowerSchema>;

export const borrowersSpec: ResourceSpec<CreateBorrower, UpdateBorrower> = {
  singular: 'borrower',
  plural: 'borrowers',
  parentName: 'branch',
  outputSchema: borrowerSchema,
  createSchema: createBorrowerSchema,
  updateSchema: updateBorrowerSchema,
  selectSql: `select t.id, t.branch_id, t.ref, t.name, t.registration_no, t.created_at, t.updated_at,
                     t.ref as sort_key
              from borrowers t`,
  searchColumns: ['ref', 'name', 'registration_no'],
  hasBbox: false,
  filters: { branchId: 'branch_id' },
  roles: { write: 'officer', remove: 'supervisor' },
  toOutput: (row: Row) => ({
    id: row['id'],
    branchId: row['branch_id'],
    ref: row['ref'],
    name: row['name'],
    registrationNo: row['registration_no'] ?? null,
    createdAt: (row['created_at'] as Date).toISOString(),
    updatedAt: (row['updated_at'] as Date).toISOString(),
  }),
  branchForCreate: async (tx, input, principal) => {
    const branchId = input.branchId ?? branchScope(principal);
    if (branchId === null) {
      throw new InvalidInputError('body.branchId is required when an admin creates a borrower');
    }
    const { rows } = await tx.query<{ id: string }>('select id from branches where id = $1', [
      branchId,
    ]);
    return rows[0]?.id ?? null;
  },
  insert: async (tx, input, { principal }) => {
    const branchId = input.branchId ?? branchScope(principal);
    const { rows } = await tx.query<{ id: string }>(
      `insert into borrowers (branch_id, ref, name, registration_no) values ($1, $2, $3, $4) returning id`,
      [branchId, input.ref, input.name, input.registrationNo ?? null],
    );
    return String(rows[0]?.id);
  },
  update: async (tx, id, input) => {
    await tx.query(
      `update borrowers set ref = coalesce($2, ref), name = coalesce($3, name),
         registration_no = case when $4::boolean then $5 else registration_no end, updated_at = now()
       where id = $1`,
      [
        id,
        input.ref ?? null,
        input.name ?? null,
        input.registrationNo !== undefined,
        input.registrationNo ?? null,
      ],
    );
  },
  remove: async (tx, id) => {
    await tx.query('delete from borrowers where id = $1', [id]);
  },
};
