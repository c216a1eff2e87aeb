import { z } from '@hono/zod-openapi';
import type { Queryable } from '../db/storage.ts';
import { InvalidInputError, NotFoundError } from '../errors.ts';
import { passwordProblem } from './passwords.ts';
import type { Role } from './principal.ts';
import { hashSecret } from './secrets.ts';

/** A user as the API shows it: never the password or its hash. */
export const userSchema = z
  .object({
    id: z.string().uuid(),
    email: z.string().openapi({ example: 'lies.vermeulen@bank.example' }),
    displayName: z.string().openapi({ example: 'Lies Vermeulen' }),
    role: z.enum(['officer', 'supervisor', 'admin']),
    branchId: z.string().uuid().nullable().openapi({ description: 'null only for admins' }),
    branchCode: z.string().nullable().openapi({ example: 'KRT' }),
    hasPassword: z
      .boolean()
      .openapi({ description: 'false: the user cannot log in (API keys only)' }),
    disabled: z.boolean(),
    disabledAt: z.string().nullable(),
    createdAt: z.string(),
  })
  .openapi('User');

export type User = z.infer<typeof userSchema>;

/**
 * `select ... from users t` with what `toUser` needs, plus `branch_id` (the owning branch, null for
 * an admin without one) and `sort_key` for keyset pages.
 */
export const userSelectSql = `select t.id, t.email, t.display_name, t.role, t.branch_id, b.code as branch_code,
         t.password_hash is not null as has_password, t.disabled_at, t.created_at,
         lower(t.email) as sort_key
  from users t left join branches b on b.id = t.branch_id`;

export function toUser(row: Record<string, unknown>): User {
  const disabledAt = row['disabled_at'] as Date | null;
  return {
    id: String(row['id']),
    email: String(row['email']),
    displayName: String(row['display_name']),
    role: row['role'] as Role,
    branchId: (row['branch_id'] as string | null) ?? null,
    branchCode: (row['branch_code'] as string | null) ?? null,
    hasPassword: row['has_password'] === true,
    disabled: disabledAt !== null,
    disabledAt: disabledAt === null ? null : disabledAt.toISOString(),
    createdAt: (row['created_at'] as Date).toISOString(),
  };
}

export async function findUser(db: Queryable, id: string): Promise<User | null> {
  const { rows } = await db.query(`${userSelectSql} where t.id = $1`, [id]);
  return rows[0] === undefined ? null : toUser(rows[0]);
}

/** Everyone but an admin works for one branch, which must exist. */
export async function checkRoleAndBranch(
  db: Queryable,
  role: Role,
  branchId: string | null,
): Promise<void> {
  if (role !== 'admin' && branchId === null) {
    throw new InvalidInputError(
      `json.branchId: required for role ${role}, only an admin may work without a branch`,
      { details: [{ path: 'json.branchId', message: `required for role ${role}` }] },
    );
  }
  if (branchId === null) return;
  const { rows } = await db.query('select 1 from branches where id = $1', [branchId]);
  if (rows.length === 0) throw new NotFoundError('branch', branchId);
}

/** Hashes a password that keeps the rules; a 400 naming the rule (never the password) otherwise. */
export async function hashPassword(password: string, email: string): Promise<string> {
  const problem = passwordProblem(password, email);
  if (problem !== null) {
    throw new InvalidInputError(`json.password: ${problem}`, {
      details: [{ path: 'json.password', message: problem }],
    });
  }
  return hashSecret(password);
}

export interface NewUser {
  readonly email: string;
  readonly displayName: string;
  readonly role: Role;
  readonly branchId: string | null;
  /** null: the user cannot log in until a password is set (API keys still work). */
  readonly password: string | null;
}

/** Checks the role, branch and password rules and inserts the user; returns its id. */
export async function insertUser(db: Queryable, user: NewUser): Promise<string> {
  const email = user.email.trim();
  await checkRoleAndBranch(db, user.role, user.branchId);
  const passwordHash = user.password === null ? null : await hashPassword(user.password, email);
  const { rows } = await db.query<{ id: string }>(
    `insert into users (email, display_name, role, branch_id, password_hash)
     values ($1, $2, $3, $4, $5) returning id`,
    [email, user.displayName, user.role, user.branchId, passwordHash],
  );
  return String(rows[0]?.id);
}

/** Ends every session of the user and, with `apiKeys`, revokes their API keys too. */
export async function revokeAccess(
  db: Queryable,
  userId: string,
  options: { apiKeys: boolean },
): Promise<void> {
  await db.query(
    'update sessions set revoked_at = now() where user_id = $1 and revoked_at is null',
    [userId],
  );
  if (options.apiKeys) {
    await db.query(
      'update api_keys set revoked_at = now() where user_id = $1 and revoked_at is null',
      [userId],
    );
  }
}
