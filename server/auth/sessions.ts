import type { Queryable } from '../db/storage.ts';
import { hashToken, newToken } from './tokens.ts';

export const sessionCookieName = 'pw_session';

/** Creates a session and returns the token for the cookie; the database keeps only its hash. */
export async function createSession(
  db: Queryable,
  userId: string,
  options: { ttlMs: number; now?: Date },
): Promise<{ token: string; expiresAt: Date }> {
  const token = newToken();
  const expiresAt = new Date((options.now ?? new Date()).getTime() + options.ttlMs);
  await db.query('insert into sessions (id_hash, user_id, expires_at) values ($1, $2, $3)', [
    hashToken(token),
    userId,
    expiresAt,
  ]);
  return { token, expiresAt };
}

export async function revokeSession(db: Queryable, token: string): Promise<void> {
  await db.query(
    'update sessions set revoked_at = now() where id_hash = $1 and revoked_at is null',
    [hashToken(token)],
  );
}
