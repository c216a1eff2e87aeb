import { z } from '@hono/zod-openapi';
import type { ResourceSpec, Row } from '../api/crud.ts';
import { codeSchema, currencySchema, moneySchema } from '../api/schemas.ts';
import type { Queryable } from '../db/storage.ts';
import {
  calendarDateSchema,
  invalidField,
  isCalendarDate,
  positiveMoneySchema,
  refuseKeys,
} from './field-rules.ts';

export const loanStatuses = ['active', 'closed', 'defaulted'] as const;

export type LoanStatus = (typeof loanStatuses)[number];

export const loanSchema = z
  .object({
    id: z.string().uuid(),
    branchId: z.string().uuid(),
    borrowerId: z.string().uuid(),
    officerId: z.string().uuid().nullable(),
    reference: z.string().openapi({ example: 'L-2024-0002' }),
    amount: z.string().openapi({ example: '190000.00' }),
    balance: z.string().openapi({ example: '145666.67' }),
    currency: z.string().openapi({ example: 'EUR' }),
    status: z.enum(loanStatuses),
    disbursedOn: z.string().nullable().openapi({ example: '2024-02-01' }),
    maturesOn: z.string().nullable().openapi({ example: '2034-02-01' }),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi('Loan');

const loanFields = {
  reference: codeSchema.openapi({ example: 'L-2026-0005' }),
  officerId: z
    .string()
    .uuid()
    .nullable()
    .optional()
    .openapi({ description: 'the responsible user: an active user of the loan’s branch' }),
  amount: positiveMoneySchema,
  balance: moneySchema.openapi({ example: '250000.00', description: 'outstanding, >= 0' }),
  currency: currencySchema,
  status: z.enum(loanStatuses).optional().openapi({ description: 'active when not given' }),
  disbursedOn: calendarDateSchema.nullable().optional(),
  maturesOn: calendarDateSchema
    .nullable()
    .optional()
    .openapi({ description: 'after disbursedOn', example: '2036-03-01' }),
};

const createLoanSchema = z
  .strictObject({
    borrowerId: z.string().uuid(),
    branchId: z
      .string()
      .uuid()
      .optional()
      .openapi({ description: 'the borrower’s branch, which is also the default' }),
    ...loanFields,
  })
  .superRefine((loan, ctx) => {
    const problem = datesProblem(loan.disbursedOn, loan.maturesOn);
    if (problem !== null) ctx.addIssue({ code: 'custom', path: ['maturesOn'], message: problem });
  })
  .openapi('LoanCreate');

const updateLoanSchema = z
  .strictObject(loanFields, { error: refuseKeys(['borrowerId', 'branchId']) })
  .partial()
  .openapi('LoanUpdate');

type CreateLoan = z.infer<typeof createLoanSchema>;
type UpdateLoan = z.infer<typeof updateLoanSchema>;

/** A loan's fields as stored, in the shape of the create body. */
interface StoredLoan {
  readonly branchId: string;
  readonly reference: string;
  readonly officerId: string | null;
  readonly amount: string;
  readonly balance: string;
  readonly currency: string;
  readonly status: LoanStatus;
  readonly disbursedOn: string | null;
  readonly maturesOn: string | null;
}

export const loansSpec: ResourceSpec<CreateLoan, UpdateLoan> = {
  singular: 'loan',
  plural: 'loans',
  parentName: 'borrower',
  outputSchema: loanSchema,
  createSchema: createLoanSchema,
  updateSchema: updateLoanSchema,
  selectSql: `select t.id, t.branch_id, t.borrower_id, t.officer_id, t.reference, t.amount, t.balance,
                     t.currency, t.status, t.disbursed_on, t.matures_on, t.created_at, t.updated_at,
                     t.reference as sort_key
              from loans t`,
  searchColumns: ['reference'],
  hasBbox: false,
  filters: {
    borrowerId: 'borrower_id',
    officerId: 'officer_id',
    status: { column: 'status', schema: z.enum(loanStatuses) },
  },
  roles: { write: 'officer', remove: 'supervisor' },
  toOutput: (row: Row) => ({
    id: row['id'],
    branchId: row['branch_id'],
    borrowerId: row['borrower_id'],
    officerId: row['officer_id'] ?? null,
    reference: row['reference'],
    amount: row['amount'],
    balance: row['balance'],
    currency: row['currency'],
    status: row['status'],
    disbursedOn: row['disbursed_on'] ?? null,
    maturesOn: row['matures_on'] ?? null,
    createdAt: (row['created_at'] as Date).toISOString(),
    updatedAt: (row['updated_at'] as Date).toISOString(),
  }),
  branchForCreate: async (tx, input) => borrowerBranch(tx, input.borrowerId),
  insert: async (tx, input) => {
    // The borrower exists and is visible: crudRoutes checked its branch before calling insert.
    const branchId = await borrowerBranch(tx, input.borrowerId);
    if (input.branchId !== undefined && input.branchId !== branchId) {
      throw invalidField(
        'branchId',
        `${input.branchId} is not the borrower’s branch ${String(branchId)}: a loan belongs to its borrower’s branch`,
      );
    }
    if (input.officerId != null) await checkOfficer(tx, input.officerId, String(branchId));
    const { rows } = await tx.query<{ id: string }>(
      `insert into loans (borrower_id, branch_id, officer_id, reference, amount, balance, currency,
                          status, disbursed_on, matures_on)
       values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) returning id`,
      [
        input.borrowerId,
        branchId,
        input.officerId ?? null,
        input.reference,
        input.amount,
        input.balance,
        input.currency,
        input.status ?? 'active',
        input.disbursedOn ?? null,
        input.maturesOn ?? null,
      ],
    );
    return String(rows[0]?.id);
  },
  update: async (tx, id, input) => {
    const loan: StoredLoan = { ...(await loadLoan(tx, id)), ...input };
    const problem = datesProblem(loan.disbursedOn, loan.maturesOn);
    if (problem !== null) {
      throw invalidField(input.maturesOn === undefined ? 'disbursedOn' : 'maturesOn', problem);
    }
    if (input.officerId != null) await checkOfficer(tx, input.officerId, loan.branchId);
    await tx.query(
      `update loans set reference = $2, officer_id = $3, amount = $4, balance = $5, currency = $6,
         status = $7, disbursed_on = $8, matures_on = $9, updated_at = now()
       where id = $1`,
      [
        id,
        loan.reference,
        loan.officerId,
        loan.amount,
        loan.balance,
        loan.currency,
        loan.status,
        loan.disbursedOn,
        loan.maturesOn,
      ],
    );
  },
  remove: async (tx, id) => {
    await tx.query('delete from loans where id = $1', [id]);
  },
};

async function borrowerBranch(tx: Queryable, borrowerId: string): Promise<string | null> {
  const { rows } = await tx.query<{ branch_id: string }>(
    'select branch_id from borrowers where id = $1',
    [borrowerId],
  );
  return rows[0]?.branch_id ?? null;
}

/** The responsible officer must be an active user of the loan's branch (admins have none). */
async function checkOfficer(tx: Queryable, officerId: string, branchId: string): Promise<void> {
  const { rows } = await tx.query(
    'select 1 from users where id = $1 and branch_id = $2 and disabled_at is null',
    [officerId, branchId],
  );
  if (rows.length === 0) {
    throw invalidField('officerId', `${officerId} is not an active user of the loan’s branch`);
  }
}

async function loadLoan(tx: Queryable, id: string): Promise<StoredLoan> {
  const { rows } = await tx.query<Row>(
    `select branch_id, reference, officer_id, amount, balance, currency, status, disbursed_on, matures_on
     from loans where id = $1`,
    [id],
  );
  const row = rows[0] ?? {};
  return {
    branchId: String(row['branch_id']),
    reference: String(row['reference']),
    officerId: (row['officer_id'] as string | null) ?? null,
    amount: String(row['amount']),
    balance: String(row['balance']),
    currency: String(row['currency']),
    status: row['status'] as LoanStatus,
    disbursedOn: (row['disbursed_on'] as string | null) ?? null,
    maturesOn: (row['matures_on'] as string | null) ?? null,
  };
}

function datesProblem(
  disbursedOn: string | null | undefined,
  maturesOn: string | null | undefined,
): string | null {
  // Malformed dates have their own messages; YYYY-MM-DD compares as text.
  if (disbursedOn == null || maturesOn == null) return null;
  if (!isCalendarDate(disbursedOn) || !isCalendarDate(maturesOn) || disbursedOn < maturesOn) {
    return null;
  }
  return `maturesOn ${maturesOn} must be after disbursedOn ${disbursedOn}`;
}
