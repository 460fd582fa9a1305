import { createHash, randomInt, timingSafeEqual } from 'node:crypto';

const UPPER_ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
const MIXED_ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

function randomString(alphabet: string, length: number): string {
  let text = '';
  for (let i = 0; i < length; i++) text += alphabet[randomInt(alphabet.length)];
  return text;
}

/** An access key like ClearML's: 30 uppercase letters and digits. */
export function generateAccessKey(): string {
  return randomString(UPPER_ALNUM, 30);
}

/** A 64-character secret (about 380 random bits). */
export function generateSecretKey(): string {
  return randomString(MIXED_ALNUM, 64);
}

/**
 * We keep only a SHA-256 of the secret. A slow KDF buys nothing for a random 380-bit
 * secret and would cost every Basic-authenticated call milliseconds.
 */
export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

export function secretMatches(secret: string, storedSha256: string): boolean {
  const actual = Buffer.from(hashSecret(secret), 'hex');
  const expected = Buffer.from(storedSha256, 'hex');
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}
