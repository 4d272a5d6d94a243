import { Secret, TOTP } from 'otpauth';

/**
 * What an authenticator app does with an enrolment: given the key the enrolment page shows
 * (base32, as in `otpauth://…?secret=`), the code for a moment. Written against otpauth
 * directly, not against Keyhold's own TOTP code, so a test signs in the way a phone would.
 */
export const TOTP_PERIOD_MS = 30_000;

export function totpCode(secret: string, at: number = Date.now()): string {
  const totp = new TOTP({
    secret: Secret.fromBase32(secret.replace(/\s/g, '').toUpperCase()),
    algorithm: 'SHA1',
    digits: 6,
    period: TOTP_PERIOD_MS / 1000,
  });
  return totp.generate({ timestamp: at });
}

/**
 * The code of the next time-step: accepted now (the server allows one step of clock drift), and
 * later than a code of the current step, which is what a second sign-in right after enrolment
 * needs (a step's code is single-use). Call it at most once per step.
 */
export const nextTotpCode = (secret: string, at: number = Date.now()): string =>
  totpCode(secret, at + TOTP_PERIOD_MS);

/** The key an enrolment page shows (`<code id="totp-secret">`), read from its HTML. */
export function secretFromEnrolmentPage(html: string): string {
  const match = /id="totp-secret">([A-Z2-7]+)</.exec(html);
  if (!match?.[1]) throw new Error('the page shows no TOTP key (is it the enrolment page?)');
  return match[1];
}
