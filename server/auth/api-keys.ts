import type { Queryable } from '../db/storage.ts';
import { StorageError } from '../errors.ts';
import { newApiKey } from './tokens.ts';

export interface CreatedApiKey {
  readonly id: string;
  readonly userId: string;
  readonly name: string;
  readonly prefix: string;
  readonly createdAt: Date;
  /** `pwk_<prefix>_<secret>`: shown to its owner once; only the secret's hash is stored. */
  readonly key: string;
}

/** Makes an API key for `userId`; the database keeps the prefix and the secret's SHA-256. */
export async function createApiKey(
  db: Queryable,
  input: { userId: string; name: string },
): Promise<CreatedApiKey> {
  const made = newApiKey();
  const { rows } = await db.query<{ id: string; created_at: Date }>(
    `insert into api_keys (user_id, name, prefix, key_hash) values ($1, $2, $3, $4)
     returning id, created_at`,
    [input.userId, input.name, made.prefix, made.secretHash],
  );
  const row = rows[0];
  if (row === undefined) throw new StorageError('insert into api_keys returned no row');
  return {
    id: row.id,
    userId: input.userId,
    name: input.name,
    prefix: made.prefix,
    createdAt: row.created_at,
    key: made.key,
  };
}
