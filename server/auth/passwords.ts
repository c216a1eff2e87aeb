import { generateSecret, hashSecret, verifySecret } from './secrets.ts';

/** Shortest password a person may set: long enough that the login rate limit makes guessing hopeless. */
export const minPasswordLength = 12;
/** Longest: scrypt would hash more, but nobody types more, and a huge one only costs us CPU. */
export const maxPasswordLength = 1024;

/**
 * Why `password` may not be used by the user with `email`, or null when it may. The message never
 * repeats the password.
 * @example passwordProblem('short', 'a@b.example') // 'must be at least 12 characters'
 */
export function passwordProblem(password: string, email: string): string | null {
  if (password.length < minPasswordLength)
    return `must be at least ${minPasswordLength} characters`;
  if (password.length > maxPasswordLength) return `must be at most ${maxPasswordLength} characters`;
  if (password.trim().toLowerCase() === email.trim().toLowerCase()) {
    return 'must not be the email address';
  }
  return null;
}

/** A random password for a new user (24 characters, 144 bits), shown to the operator once. */
export function generatePassword(): string {
  return generateSecret(18);
}

let dummyHash: Promise<string> | null = null;

/**
 * Checks `password` against the user's stored hash, or against a throwaway hash when there is no
 * user or no password: a refused login takes as long whether or not the email exists, so timing
 * does not tell an attacker which emails are users.
 */
export async function verifyPassword(
  password: string,
  storedHash: string | null,
): Promise<boolean> {
  if (storedHash !== null) return verifySecret(password, storedHash);
  dummyHash ??= hashSecret(generateSecret());
  await verifySecret(password, await dummyHash);
  return false;
}
