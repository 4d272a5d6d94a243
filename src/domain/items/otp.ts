import * as OTPAuth from 'otpauth';
import { invalidInput } from '../../errors/app-error.js';

/**
 * OTP field values. Like 1Password, a value is either an `otpauth://totp/…` key URI or a bare
 * base32 secret (taken as TOTP, SHA1, 6 digits, 30 s). Parsing and code computation are
 * otpauth's; this module only decides what is acceptable and words the errors.
 *
 * The value is a secret: no message here ever contains it, or any part of it.
 */

/** 80 bits: the shortest secret authenticator apps accept (RFC 4226 asks for 128 or more). */
const MIN_SECRET_BYTES = 10;
/** RFC 4226 §5.3 requires at least 6 digits; a 31-bit truncated code has at most 10. */
const MIN_DIGITS = 6;
const MAX_DIGITS = 10;

const BASE32 = /^[A-Z2-7]+=*$/;
const URI_PREFIX = /^otpauth:\/\//i;
const TOTP_PREFIX = /^otpauth:\/\/totp\//i;

/** What OTP values look like, repeated in every error so the client knows what to send. */
const EXPECTED = 'OTP fields take an otpauth://totp/<label>?secret=<base32> URI or a bare base32 secret';

/**
 * Throws `invalid_input` unless `value` is a usable TOTP definition. `path` names the field in
 * the message (e.g. `fields[3].value`).
 */
export function validateOtpUri(value: string, path: string): void {
  parseTotp(value, path);
}

/**
 * The code `value` produces at `now` (milliseconds since the epoch, as `Date.now()`).
 * Throws `invalid_input` (path `value`) when the value is not a usable TOTP definition.
 */
export function currentTotp(value: string, now: number): string {
  return parseTotp(value, 'value').generate({ timestamp: now });
}

function parseTotp(raw: string, path: string): OTPAuth.TOTP {
  // Values pasted from QR decoders and password exports often carry a trailing newline.
  const value = raw.trim();
  if (value === '') throw invalidInput(`${path}: ${EXPECTED}; got an empty value`);
  return URI_PREFIX.test(value) ? parseUri(value, path) : parseBareSecret(value, path);
}

function parseBareSecret(value: string, path: string): OTPAuth.TOTP {
  // 1Password shows secrets in groups ("JBSW Y3DP …") and people paste them that way.
  const secret = value.replace(/\s+/g, '').toUpperCase();
  if (!BASE32.test(secret)) {
    throw invalidInput(`${path}: ${EXPECTED}; the value is neither (base32 uses only A-Z and 2-7)`);
  }
  const totp = new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(secret) });
  checkSecretLength(totp, path);
  return totp;
}

function parseUri(value: string, path: string): OTPAuth.TOTP {
  if (!TOTP_PREFIX.test(value)) {
    throw invalidInput(`${path}: only time-based codes are supported (otpauth://totp/…); ${EXPECTED}`);
  }
  let otp: OTPAuth.HOTP | OTPAuth.TOTP;
  try {
    otp = OTPAuth.URI.parse(value);
  } catch (error) {
    // otpauth's messages name the bad parameter but can quote secret characters: reword them.
    throw invalidInput(`${path}: ${EXPECTED}; ${uriProblem(error)}`);
  }
  if (!(otp instanceof OTPAuth.TOTP)) {
    throw invalidInput(`${path}: only time-based codes are supported (otpauth://totp/…)`);
  }
  if (otp.digits < MIN_DIGITS || otp.digits > MAX_DIGITS) {
    throw invalidInput(`${path}: the digits parameter must be ${MIN_DIGITS} to ${MAX_DIGITS}`);
  }
  checkSecretLength(otp, path);
  return otp;
}

function checkSecretLength(totp: OTPAuth.TOTP, path: string): void {
  if (totp.secret.bytes.length < MIN_SECRET_BYTES) {
    throw invalidInput(
      `${path}: the OTP secret is too short; it must be at least 16 base32 characters (${MIN_SECRET_BYTES * 8} bits)`,
    );
  }
}

/** A safe description of why otpauth refused a URI, naming the parameter but not its value. */
function uriProblem(error: unknown): string {
  const message = error instanceof Error ? error.message : '';
  for (const parameter of ['secret', 'period', 'algorithm', 'digits']) {
    if (message.includes(`'${parameter}'`)) return `the ${parameter} parameter is missing or invalid`;
  }
  return 'the URI could not be parsed (it needs a label and a query with secret=)';
}
