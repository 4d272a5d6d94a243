import { randomBytes } from 'node:crypto';
import { Secret, TOTP } from 'otpauth';
import { safeEqual } from '../../crypto/secrets.js';

/**
 * TOTP (RFC 6238) as every authenticator app does it by default: HMAC-SHA-1, 6 digits, 30-second
 * steps. The secret is 160 bits (RFC 4226 §4 recommends them).
 */
export const TOTP_PERIOD_SECONDS = 30;
const DIGITS = 6;
const SECRET_BYTES = 20;
/** Steps accepted either side of now: one phone clock 30 s off still signs in. */
export const TOTP_WINDOW = 1;
const CODE_PATTERN = /^\d{6}$/;

export const newTotpSecret = (): Buffer => randomBytes(SECRET_BYTES);

const totpOf = (secret: Uint8Array, issuer = '', label = '') =>
  new TOTP({
    issuer,
    label,
    secret: Secret.fromHex(Buffer.from(secret).toString('hex')),
    algorithm: 'SHA1',
    digits: DIGITS,
    period: TOTP_PERIOD_SECONDS,
  });

/** The secret as people type it into an app: base32, no padding. */
export const secretText = (secret: Uint8Array): string => totpOf(secret).secret.base32;

/** The `otpauth://` URI an authenticator app reads from the QR code. */
export const totpUri = (secret: Uint8Array, issuer: string, label: string): string =>
  totpOf(secret, issuer, label).toString();

/** The time-step `ms` (epoch milliseconds) falls in. */
export const stepAt = (ms: number): number => Math.floor(ms / (TOTP_PERIOD_SECONDS * 1000));

export const codeAt = (secret: Uint8Array, step: number): string =>
  totpOf(secret).generate({ timestamp: step * TOTP_PERIOD_SECONDS * 1000 });

/** Whether `code` has the shape of a TOTP code (it may still be wrong). */
export const looksLikeTotp = (code: string): boolean => CODE_PATTERN.test(code);

/**
 * The time-step `code` is valid for at `now`, within the window and strictly after `lastStep`
 * (a code is single-use: once a step was accepted, its code and every earlier one are refused),
 * or undefined. Every candidate step is compared, in constant time, whatever matched first.
 *
 * Accepting is still up to the caller: it must record the step with a compare-and-set
 * (TotpStore.acceptStep), so two parallel submissions of one code cannot both pass.
 */
export function matchingStep(
  secret: Uint8Array,
  code: string,
  now: number,
  lastStep: number,
): number | undefined {
  if (!looksLikeTotp(code)) return undefined;
  const current = stepAt(now);
  let found: number | undefined;
  for (let step = current - TOTP_WINDOW; step <= current + TOTP_WINDOW; step++) {
    const match = safeEqual(Buffer.from(codeAt(secret, step)), Buffer.from(code));
    if (match && step > lastStep && found === undefined) found = step;
  }
  return found;
}
