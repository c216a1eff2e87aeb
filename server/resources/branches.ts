import { z } from '@hono/zod-openapi';
import type { ResourceSpec, Row } from '../api/crud.ts';

export const branchSchema = z
  .object({
    id: z.string().uuid(),
    code: z.string().openapi({ example: 'KRT' }),
    name: z.string().openapi({ example: 'Kortrijk' }),
    createdAt: z.string(),
  })
  .openapi('Branch');

const createBranchSchema = z
  .strictObject({
    // The database's own rule (branches.code check), so the caller hears it as a field problem.
    code: z
      .string()
      .regex(/^[A-Z0-9_-]{2,16}$/, 'must be 2-16 characters of A-Z, 0-9, _ and -')
      .openapi({ example: 'GNT' }),
    name: z.string().min(1).max(200).openapi({ example: 'Gent' }),
  })
  .openapi('BranchCreate');

const updateBranchSchema = createBranchSchema.partial().openapi('BranchUpdate');

type CreateBranch = z.infer<typeof createBranchSchema>;
type UpdateBranch = z.infer<typeof updateBranchSchema>;

/**
 * The bank's branches. Everyone reads their own branch (admins all of them); only admins create,
 * change or delete one. A branch is its own scope, so its `branch_id` is its id.
 */
export const branchesSpec: ResourceSpec<CreateBranch, UpdateBranch> = {
  singular: 'branch',
  plural: 'branches',
  parentName: null,
  outputSchema: branchSchema,
  createSchema: createBranchSchema,
  updateSchema: updateBranchSchema,
  selectSql: `select t.id, t.id as branch_id, t.code, t.name, t.created_at, t.code as sort_key
              from branches t`,
  searchColumns: ['code', 'name'],
  hasBbox: false,
  roles: { write: 'admin', remove: 'admin' },
  // Audit rows of a branch must not reference it, or the branch could never be deleted.
  unscopedAudit: true,
  toOutput: (row: Row) => ({
    id: row['id'],
    code: row['code'],
    name: row['name'],
    createdAt: (row['created_at'] as Date).toISOString(),
  }),
  // A branch has no parent. Only admins get this far (roles.write) and they see every branch; the
  // value is never stored, as branch audit rows carry no branch (unscopedAudit).
  branchForCreate: async (_tx, _input, principal) => (principal.role === 'admin' ? 'all' : null),
  insert: async (tx, input) => {
    const { rows } = await tx.query<{ id: string }>(
      'insert into branches (code, name) values ($1, $2) returning id',
      [input.code, input.name],
    );
    return String(rows[0]?.id);
  },
  update: async (tx, id, input) => {
    await tx.query(
      'update branches set code = coalesce($2, code), name = coalesce($3, name) where id = $1',
      [id, input.code ?? null, input.name ?? null],
    );
  },
  remove: async (tx, id) => {
    await tx.query('delete from branches where id = $1', [id]);
  },
};
