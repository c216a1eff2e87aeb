import { describe, expect, it } from 'vitest';
import { generateSecret, hashSecret, verifySecret } from './secrets.ts';

describe('secret hashing', () => {
  it('verifies the right secret and refuses a wrong one', async () => {
    const secret = generateSecret();
    const stored = await hashSecret(secret);
    expect(stored).toMatch(/^scrypt\$16384\$8\$1\$[\w-]+\$[\w-]+$/);
    expect(stored).not.toContain(secret);
    expect(await verifySecret(secret, stored)).toBe(true);
    expect(await verifySecret(secret + 'x', stored)).toBe(false);
  });

  it('salts: the same secret hashes differently twice', async () => {
    expect(await hashSecret('same')).not.toBe(await hashSecret('same'));
  });

  it('refuses a malformed stored hash instead of throwing', async () => {
    expect(await verifySecret('x', 'plain-text')).toBe(false);
  });
});
