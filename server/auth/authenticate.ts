import type { MiddlewareHandler } from 'hono';
import { getCookie } from 'hono/cookie';
import type { AppEnv } from '../app-env.ts';
import type { Storage } from '../db/storage.ts';
import { UnauthorizedError } from '../errors.ts';
import type { Principal, Role } from './principal.ts';
import { sessionCookieName } from './sessions.ts';
import { hashToken, parseApiKey, sameHash } from './tokens.ts';

interface UserRow {
  id: string;
  email: string;
  role: Role;
  branch_id: string | null;
}

/**
 * Resolves the caller from a bearer API key (machines) or the session cookie (the web app) and
 * sets `principal`; anything else is a 401. Disabled users, revoked keys and expired sessions fail.
 */
export function authenticate(storage: Storage): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const header = c.req.header('authorization');
    let principal: Principal | null = null;
    if (header !== undefined && /^Bearer\s+/i.test(header)) {
      principal = await principalFromApiKey(storage, header.replace(/^Bearer\s+/i, '').trim());
      if (principal === null) throw new UnauthorizedError('API key refused');
    } else {
      const token = getCookie(c, sessionCookieName);
      if (token !== undefined) principal = await principalFromSession(storage, token);
      if (principal === null) {
        throw new UnauthorizedError(
          token === undefined
            ? 'sign in, or send an API key as "Authorization: Bearer pwk_..."'
            : 'session expired or signed out: sign in again',
        );
      }
    }
    c.set('principal', principal);
    await next();
  };
}

async function principalFromApiKey(storage: Storage, key: string): Promise<Principal | null> {
  const parsed = parseApiKey(key);
  if (parsed === null) return null;
  const { rows } = await storage.query<UserRow & { key_id: string; key_hash: string }>(
    `select u.id, u.email, u.role, u.branch_id, k.id as key_id, k.key_hash
     from api_keys k join users u on u.id = k.user_id
     where k.prefix = $1 and k.revoked_at is null and u.disabled_at is null`,
    [parsed.prefix],
  );
  const row = rows[0];
  if (row === undefined || !sameHash(hashToken(parsed.secret), row.key_hash)) return null;
  // Best effort bookkeeping: a failure here must not refuse a valid key.
  storage
    .query('update api_keys set last_used_at = now() where id = $1', [row.key_id])
    .catch(() => undefined);
  return toPrincipal(row, 'api_key', row.key_id);
}

async function principalFromSession(storage: Storage, token: string): Promise<Principal | null> {
  const { rows } = await storage.query<UserRow>(
    `select u.id, u.email, u.role, u.branch_id
     from sessions s join users u on u.id = s.user_id
     where s.id_hash = $1 and s.revoked_at is null and s.expires_at > now() and u.disabled_at is null`,
    [hashToken(token)],
  );
  const row = rows[0];
  return row === undefined ? null : toPrincipal(row, 'user', null);
}

function toPrincipal(row: UserRow, kind: Principal['kind'], apiKeyId: string | null): Principal {
  return {
    kind,
    userId: row.id,
    email: row.email,
    role: row.role,
    branchId: row.branch_id,
    apiKeyId,
  };
}
