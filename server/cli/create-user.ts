import { parseArgs } from 'node:util';
import { generatePassword } from '../auth/passwords.ts';
import { roles, type Role } from '../auth/principal.ts';
import { findUser, insertUser, type User } from '../auth/users.ts';
import { recordAudit } from '../db/audit.ts';
import { NotFoundError } from '../errors.ts';
import type { Storage } from '../db/storage.ts';
import { CliUsageError } from './usage-error.ts';

export interface CreateUserOptions {
  readonly email: string;
  readonly displayName: string;
  readonly role: Role;
  readonly branchCode: string | null;
}

export function parseCreateUserArgs(args: readonly string[]): CreateUserOptions {
  const { values } = parseCli(args, { email: true, name: true, role: true, branch: true });
  const role = required(values, 'role');
  if (!(roles as readonly string[]).includes(role)) {
    throw new CliUsageError(`--role ${JSON.stringify(role)} must be one of ${roles.join(', ')}`);
  }
  const branchCode = values['branch'] ?? null;
  if (role !== 'admin' && branchCode === null) {
    throw new CliUsageError(
      `--branch is required for role ${role}: only an admin works without a branch`,
    );
  }
  return {
    email: required(values, 'email'),
    displayName: required(values, 'name'),
    role: role as Role,
    branchCode,
  };
}

/** Creates the user; returns it with the generated password, which exists nowhere else. */
export async function createUserWithPassword(
  storage: Storage,
  options: CreateUserOptions,
): Promise<User & { password: string }> {
  const password = generatePassword();
  return storage.transaction(async (tx) => {
    let branchId: string | null = null;
    if (options.branchCode !== null) {
      const { rows } = await tx.query<{ id: string }>('select id from branches where code = $1', [
        options.branchCode,
      ]);
      branchId = rows[0]?.id ?? null;
      if (branchId === null) {
        throw new NotFoundError('branch with code', options.branchCode);
      }
    }
    const id = await insertUser(tx, {
      email: options.email,
      displayName: options.displayName,
      role: options.role,
      branchId,
      password,
    });
    const user = await findUser(tx, id);
    if (user === null) throw new NotFoundError('user', id);
    await recordAudit(tx, {
      principal: null,
      action: 'create',
      entityType: 'users',
      entityId: id,
      branchId,
      before: null,
      after: { ...user, createdBy: 'pledgewatch create-user' },
      requestId: null,
    });
    return { ...user, password };
  });
}

/** `parseArgs` for string options, turning its errors into usage errors. */
export function parseCli<Name extends string>(
  args: readonly string[],
  names: Record<Name, true>,
): { values: Partial<Record<Name, string>> } {
  try {
    const { values } = parseArgs({
      args: [...args],
      options: Object.fromEntries(
        Object.keys(names).map((name) => [name, { type: 'string' }]),
      ) as Record<Name, { type: 'string' }>,
      allowPositionals: false,
      strict: true,
    });
    return { values: values as Partial<Record<Name, string>> };
  } catch (error) {
    throw new CliUsageError((error as Error).message, { cause: error });
  }
}

export function required<Name extends string>(
  values: Partial<Record<Name, string>>,
  name: Name,
): string {
  const value = values[name]?.trim();
  if (value === undefined || value === '') throw new CliUsageError(`--${name} is required`);
  return value;
}
