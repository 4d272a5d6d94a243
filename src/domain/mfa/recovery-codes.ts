import { randomBytesPooled } from '../../crypto/random-pool.js';
import { hashSecret } from '../../crypto/secrets.js';

/**
 * Recovery codes: what signs a user in when their authenticator is lost. Ten per enrolment, 80
 * random bits each, shown once as `XXXX-XXXX-XXXX-XXXX` (base32: no 0/1/8/9 to misread), stored
 * only as hashes, each usable once.
 */
export const RECOVERY_CODE_COUNT = 10;
const CODE_BYTES = 10;
const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
const NORMALISED = /^[A-Z2-7]{16}$/;

function base32(bytes: Uint8Array): string {
  let bits = 0;
  let value = 0;
  let out = '';
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += BASE32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  return out;
}

export function newRecoveryCodes(): string[] {
  return Array.from({ length: RECOVERY_CODE_COUNT }, () =>
    (base32(randomBytesPooled(CODE_BYTES)).match(/.{4}/g) ?? []).join('-'),
  );
}

/** The code as typed (any case, dashes or spaces) in canonical form, or undefined if it cannot be one. */
export function normaliseRecoveryCode(typed: string): string | undefined {
  const code = typed.replace(/[\s-]/g, '').toUpperCase();
  return NORMALISED.test(code) ? code : undefined;
}

/**
 * The stored form: SHA-256 (the codes carry 80 random bits, no dictionary to attack) over the
 * user's id and the canonical code, so a hash copied to another user matches nothing there.
 */
export const recoveryCodeHash = (userId: string, code: string): Buffer =>
  hashSecret(JSON.stringify(['keyhold-recovery-code', userId, normaliseRecoveryCode(code) ?? code]));
