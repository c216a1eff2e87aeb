import { createHash } from 'node:crypto';
import type { Storage } from '../db/storage.ts';
import { UnauthorizedError } from '../errors.ts';
import { verifySecret } from './secrets.ts';

export interface AuthenticatedGateway {
  readonly id: string;
  readonly code: string;
  readonly farmId: string;
  /** The farm's code: the `{farmId}` segment of the gateway's MQTT topics. */
  readonly farmCode: string;
}

/**
 * Checks a gateway's code and secret against the stored scrypt hash. scrypt is slow on purpose,
 * so a verified (code, secret, stored hash) triple is remembered by digest: a gateway posting every
 * few seconds costs one hash, and a rotated secret (new stored hash) is checked afresh.
 */
export function createGatewayAuthenticator(storage: Storage, options: { cacheSize?: number } = {}) {
  const cacheSize = options.cacheSize ?? 10_000;
  const verified = new Map<string, string>();

  return async function authenticateGateway(
    code: string,
    secret: string,
  ): Promise<AuthenticatedGateway> {
    const { rows } = await storage.query<{
      id: string;
      code: string;
      farm_id: string;
      farm_code: string;
      secret_hash: string;
    }>(
      `select g.id, g.code, g.farm_id, f.code as farm_code, g.secret_hash
       from gateways g join farms f on f.id = g.farm_id
       where g.code = $1 and g.disabled_at is null`,
      [code],
    );
    const gateway = rows[0];
    // One message for unknown gateway and wrong secret: do not tell an attacker which it was.
    const refused = new UnauthorizedError('gateway credentials refused');
    if (gateway === undefined) throw refused;
    const digest = createHash('sha256')
      .update(`${code}\0${secret}\0${gateway.secret_hash}`)
      .digest('base64url');
    if (verified.get(gateway.id) !== digest) {
      if (!(await verifySecret(secret, gateway.secret_hash))) throw refused;
      if (verified.size >= cacheSize) verified.clear();
      verified.set(gateway.id, digest);
    }
    return {
      id: gateway.id,
      code: gateway.code,
      farmId: gateway.farm_id,
      farmCode: gateway.farm_code,
    };
  };
}

export type GatewayAuthenticator = ReturnType<typeof createGatewayAuthenticator>;

/** Reads `Authorization: Basic base64(code:secret)`. */
export function parseBasicAuth(header: string | undefined): { user: string; secret: string } {
  if (header === undefined || !/^Basic\s+/i.test(header)) {
    throw new UnauthorizedError('Authorization header with Basic gateway credentials is required');
  }
  const decoded = Buffer.from(header.replace(/^Basic\s+/i, ''), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon <= 0) throw new UnauthorizedError('Basic credentials must be "gateway-code:secret"');
  return { user: decoded.slice(0, colon), secret: decoded.slice(colon + 1) };
}
