import { describe, expect, it } from 'vitest';
import { hashSecret } from './secrets.ts';
import { generatePassword, passwordProblem, verifyPassword } from './passwords.ts';

describe('password rules', () => {
  it('accepts a long password that is not the email', () => {
    expect(passwordProblem('correct horse battery', 'lies@bank.example')).toBeNull();
  });

  it('names the rule a password breaks, without repeating it', () => {
    expect(passwordProblem('short', 'lies@bank.example')).toBe('must be at least 12 characters');
    expect(passwordProblem('x'.repeat(1025), 'lies@bank.example')).toBe(
      'must be at most 1024 characters',
    );
    expect(passwordProblem('Lies@Bank.example', 'lies@bank.example')).toBe(
      'must not be the email address',
    );
  });

  it('generates passwords that pass the rules and differ', () => {
    const first = generatePassword();
    expect(passwordProblem(first, 'a@b.example')).toBeNull();
    expect(first).toMatch(/^[\w-]{24}$/);
    expect(generatePassword()).not.toBe(first);
  });
});

describe('verifyPassword', () => {
  it('checks against the stored hash', async () => {
    const stored = await hashSecret('correct horse battery');
    expect(await verifyPassword('correct horse battery', stored)).toBe(true);
    expect(await verifyPassword('wrong horse battery', stored)).toBe(false);
  });

  it('refuses without a stored hash, after doing the same work', async () => {
    const stored = await hashSecret('correct horse battery');
    expect(await verifyPassword('anything', null)).toBe(false); // the dummy hash is made once
    /** The fastest of a few runs: the least disturbed by other work on the machine. */
    const fastestMs = async (run: () => Promise<unknown>): Promise<number> => {
      const times: number[] = [];
      for (let i = 0; i < 3; i++) {
        const started = performance.now();
        await run();
        times.push(performance.now() - started);
      }
      return Math.min(...times);
    };
    const withoutUserMs = await fastestMs(() => verifyPassword('anything at all', null));
    const withUserMs = await fastestMs(() => verifyPassword('anything at all', stored));
    // One scrypt each: the same order of magnitude (generous bounds, machines are noisy).
    expect(withoutUserMs).toBeGreaterThan(withUserMs / 5);
  });
});
