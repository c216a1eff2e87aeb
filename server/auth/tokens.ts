import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Session tokens and API keys are long random values, so a fast SHA-256 is enough to store them
 * (unlike passwords, they cannot be guessed from a dictionary); only the hash is kept.
 */
export function newToken(bytes = 32): string {
  return randomBytes(bytes).toString('base64url');
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export function sameHash(a: string, b: string): boolean {
  const left = Buffer.from(a, 'hex');
  const right = Buffer.from(b, 'hex');
  return left.length === right.length && timingSafeEqual(left, right);
}

/** API keys read `pwk_<prefix>_<secret>`: the prefix finds the row, the secret proves it. */
export function parseApiKey(key: string): { prefix: string; secret: string } | null {
  const match = /^pwk_([A-Za-z0-9]{8})_([A-Za-z0-9_-]{32,})$/.exec(key);
  return match === null ? null : { prefix: match[1] ?? '', secret: match[2] ?? '' };
}

export function newApiKey(): { key: string; prefix: string; secretHash: string } {
  const prefix = randomBytes(6).toString('base64url').replace(/[-_]/g, 'x').slice(0, 8);
  const secret = newToken(32);
  return { key: `pwk_${prefix}_${secret}`, prefix, secretHash: hashToken(secret) };
}
