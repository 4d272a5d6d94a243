import { randomInt } from 'node:crypto';
import { hashSecret } from '../../crypto/secrets.js';

/**
 * RFC 8628 §6.1 user codes: 8 characters of 20 consonants (no vowels, so no words; no digits,
 * so no 0/O or 1/I confusion), shown as `BCDF-GHJK`. That is 20^8 ≈ 2^34.6 codes; with a few
 * live codes per account, ten minutes of life, and every entry throttled
 * (device-approval.ts), a guess succeeds with negligible odds (§5.1).
 */
export const USER_CODE_ALPHABET = 'BCDFGHJKLMNPQRSTVWXZ';
const LENGTH = 8;

export function newUserCode(): string {
  let code = '';
  for (let i = 0; i < LENGTH; i++) code += USER_CODE_ALPHABET[randomInt(USER_CODE_ALPHABET.length)];
  return `${code.slice(0, 4)}-${code.slice(4)}`;
}

/**
 * What a person typed, as stored: case-insensitive, and anything that is not a letter or digit
 * (dashes, spaces) ignored (§6.1). Undefined when it cannot be a user code at all.
 */
export function normaliseUserCode(typed: string): string | undefined {
  if (typed.length > 64) return undefined;
  const code = typed.toUpperCase().replace(/[^A-Z0-9]/g, '');
  if (code.length !== LENGTH || [...code].some((c) => !USER_CODE_ALPHABET.includes(c))) return undefined;
  return code;
}

/** How a user code is stored and looked up: the SHA-256 of its normalised form. */
export const userCodeHash = (normalised: string): Buffer => hashSecret(`user-code:${normalised}`);

export const displayUserCode = (normalised: string) => `${normalised.slice(0, 4)}-${normalised.slice(4)}`;
