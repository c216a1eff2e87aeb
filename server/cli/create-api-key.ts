import { createApiKey } from '../auth/api-keys.ts';
import { recordAudit } from '../db/audit.ts';
import type { Storage } from '../db/storage.ts';
import { ConflictError, NotFoundError } from '../errors.ts';
import { parseCli, required } from './create-user.ts';

export interface CreateApiKeyOptions {
  readonly email: string;
  readonly name: string;
}

export function parseCreateApiKeyArgs(args: readonly string[]): CreateApiKeyOptions {
  const { values } = parseCli(args, { email: true, name: true });
  return { email: required(values, 'email'), name: required(values, 'name') };
}

export async function createApiKeyForEmail(
  storage: Storage,
  options: CreateApiKeyOptions,
): Promise<{ id: string; email: string; name: string; prefix: string; key: string }> {
  return storage.transaction(async (tx) => {
    const { rows } = await tx.query<{
      id: string;
      email: string;
      branch_id: string | null;
      disabled: boolean;
    }>(
      `select id, email, branch_id, disabled_at is not null as disabled from users
       where lower(email) = lower($1)`,
      [options.email.trim()],
    );
    const user = rows[0];
    if (user === undefined) throw new NotFoundError('user with email', options.email);
    if (user.disabled)
      throw new ConflictError(
        `user ${JSON.stringify(options.email)} is disabled: enable them first`,
      );
    const key = await createApiKey(tx, { userId: user.id, name: options.name });
    const shown = { id: key.id, userId: user.id, name: key.name, prefix: key.prefix };
    await recordAudit(tx, {
      principal: null,
      action: 'create',
      entityType: 'api_keys',
      entityId: key.id,
      branchId: user.branch_id,
      before: null,
      after: { ...shown, createdBy: 'pledgewatch create-api-key' },
      requestId: null,
    });
    return { id: key.id, email: user.email, name: key.name, prefix: key.prefix, key: key.key };
  });
}
