import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';

/**
 * Secrets (gateway secrets, later passwords and API keys) are stored only as scrypt hashes in the
 * self-describing form `scrypt$N$r$p$salt$hash` (base64url), so parameters can be raised later
 * without breaking stored hashes.
 */
const params = { N: 1 << 14, r: 8, p: 1, keyLength: 32 } as const;

export function generateSecret(bytes = 24): string {
  return randomBytes(bytes).toString('base64url');
}

export async function hashSecret(secret: string): Promise<string> {
  const salt = randomBytes(16);
  const hash = await derive(secret, salt, params.N, params.r, params.p, params.keyLength);
  return [
    'scrypt',
    params.N,
    params.r,
    params.p,
    salt.toString('base64url'),
    hash.toString('base64url'),
  ].join('$');
}

/** Constant-time check of `secret` against a stored hash; false for a malformed hash. */
export async function verifySecret(secret: string, stored: string): Promise<boolean> {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
  const [, n, r, p, saltText, hashText] = parts as [string, string, string, string, string, string];
  const expected = Buffer.from(hashText, 'base64url');
  const actual = await derive(
    secret,
    Buffer.from(saltText, 'base64url'),
    Number(n),
    Number(r),
    Number(p),
    expected.length,
  );
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

function derive(
  secret: string,
  salt: Buffer,
  N: number,
  r: number,
  p: number,
  keyLength: number,
): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(secret, salt, keyLength, { N, r, p, maxmem: 128 * N * r * 2 }, (error, key) =>
      error === null ? resolve(key) : reject(error),
    );
  });
}
