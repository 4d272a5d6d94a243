import { randomBytesPooled } from './random-pool.js';

/** Connect clients decide "id or title?" with this pattern, so every id we mint matches it. */
export const ID_PATTERN = /^[a-z0-9]{26}$/;
const ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';

/**
 * A 26-character id over [a-z0-9] (~134 bits of randomness). Rejection sampling keeps every
 * character uniform: bytes >= 252 (7 * 36) are discarded rather than folded with a modulo bias.
 */
export function newId(): string {
  let id = '';
  while (id.length < 26) {
    for (const byte of randomBytesPooled(32)) {
      if (byte < 252) id += ALPHABET[byte % 36];
      if (id.length === 26) break;
    }
  }
  return id;
}

export const isId = (value: string): boolean => ID_PATTERN.test(value);
