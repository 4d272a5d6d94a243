import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { currentTotp, validateOtpUri } from '../../../src/domain/items/otp.js';
import { expectInvalid, invalidMessage } from './helpers.js';

/** RFC 6238 appendix B: the ASCII secret "12345678901234567890" (SHA1), in base32. */
const RFC_SHA1 = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ';
/** "12345678901234567890123456789012" (SHA256 vectors). */
const RFC_SHA256 = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZA';
const uri8 = `otpauth://totp/ACME:alice@example.com?secret=${RFC_SHA1}&algorithm=SHA1&digits=8&period=30&issuer=ACME`;

const EXPECTED = 'OTP fields take an otpauth://totp/<label>?secret=<base32> URI or a bare base32 secret';

describe('currentTotp', () => {
  it('matches the RFC 6238 SHA1 test vectors (8 digits)', () => {
    const vectors: Array<[number, string]> = [
      [59, '94287082'],
      [1111111109, '07081804'],
      [1111111111, '14050471'],
      [1234567890, '89005924'],
      [2000000000, '69279037'],
      [20000000000, '65353130'],
    ];
    for (const [seconds, code] of vectors) expect(currentTotp(uri8, seconds * 1000)).toBe(code);
  });

  it('matches the RFC 6238 SHA256 vector', () => {
    const uri = `otpauth://totp/x?secret=${RFC_SHA256}&algorithm=SHA256&digits=8`;
    expect(currentTotp(uri, 59_000)).toBe('46119246');
  });

  it('defaults to 6 digits, SHA1 and 30 s, for URIs and bare secrets alike', () => {
    // A 6-digit code is the 8-digit one modulo 10^6.
    expect(currentTotp(`otpauth://totp/ACME:alice?secret=${RFC_SHA1}`, 59_000)).toBe('287082');
    expect(currentTotp(RFC_SHA1, 59_000)).toBe('287082');
    expect(currentTotp(RFC_SHA1, 1111111109_000)).toBe('081804');
  });

  it('accepts bare secrets in lowercase, grouped with spaces, padded, or with a trailing newline', () => {
    expect(currentTotp('gezd gnbv gy3t qojq gezd gnbv gy3t qojq', 59_000)).toBe('287082');
    expect(currentTotp(`${RFC_SHA1}====\n`, 59_000)).toBe('287082');
    expect(currentTotp(` ${uri8}\n`, 59_000)).toBe('94287082');
  });

  it('changes code with the period', () => {
    expect(currentTotp(RFC_SHA1, 29_999)).toBe(currentTotp(RFC_SHA1, 0));
    expect(currentTotp(RFC_SHA1, 30_000)).not.toBe(currentTotp(RFC_SHA1, 29_999));
  });

  it('throws invalid_input for a value that is not a TOTP definition', () => {
    expectInvalid(() => currentTotp('', 0), `value: ${EXPECTED}; got an empty value`);
  });
});

describe('validateOtpUri', () => {
  it('accepts otpauth://totp URIs and bare base32 secrets', () => {
    for (const value of [
      uri8,
      `otpauth://totp/Example?secret=${RFC_SHA1}&period=60&digits=7`,
      RFC_SHA1,
      'JBSWY3DPEHPK3PXP',
      `OTPAUTH://TOTP/x?secret=${RFC_SHA1}`,
    ]) {
      expect(() => validateOtpUri(value, 'fields[0].value')).not.toThrow();
    }
  });

  it('refuses values that are neither, without quoting them', () => {
    expectInvalid(
      () => validateOtpUri('my-secret-1', 'fields[2].value'),
      `fields[2].value: ${EXPECTED}; the value is neither (base32 uses only A-Z and 2-7)`,
    );
    expectInvalid(
      () => validateOtpUri('   ', 'fields[2].value'),
      `fields[2].value: ${EXPECTED}; got an empty value`,
    );
  });

  it('refuses secrets shorter than 80 bits', () => {
    const message = 'f: the OTP secret is too short; it must be at least 16 base32 characters (80 bits)';
    expectInvalid(() => validateOtpUri('JBSWY3DPEHPK3PX', 'f'), message);
    expectInvalid(() => validateOtpUri('otpauth://totp/x?secret=JBSWY3DP', 'f'), message);
    expect(() => validateOtpUri('JBSWY3DPEHPK3PXP', 'f')).not.toThrow();
  });

  it('refuses HOTP and other otpauth types', () => {
    const message = `f: only time-based codes are supported (otpauth://totp/…); ${EXPECTED}`;
    expectInvalid(() => validateOtpUri(`otpauth://hotp/x?secret=${RFC_SHA1}&counter=1`, 'f'), message);
    expectInvalid(() => validateOtpUri(`otpauth://motp/x?secret=${RFC_SHA1}`, 'f'), message);
  });

  it('names the bad parameter of a URI', () => {
    expectInvalid(
      () => validateOtpUri('otpauth://totp/x?issuer=ACME', 'f'),
      `f: ${EXPECTED}; the secret parameter is missing or invalid`,
    );
    expectInvalid(
      () => validateOtpUri('otpauth://totp/x?secret=NOT-BASE32!', 'f'),
      `f: ${EXPECTED}; the secret parameter is missing or invalid`,
    );
    expectInvalid(
      () => validateOtpUri(`otpauth://totp/x?secret=${RFC_SHA1}&period=0`, 'f'),
      `f: ${EXPECTED}; the period parameter is missing or invalid`,
    );
    expectInvalid(
      () => validateOtpUri(`otpauth://totp/x?secret=${RFC_SHA1}&algorithm=MD5`, 'f'),
      `f: ${EXPECTED}; the algorithm parameter is missing or invalid`,
    );
    expectInvalid(
      () => validateOtpUri(`otpauth://totp/x?secret=${RFC_SHA1}&digits=12`, 'f'),
      'f: the digits parameter must be 6 to 10',
    );
    expectInvalid(
      () => validateOtpUri(`otpauth://totp/?secret=${RFC_SHA1}`, 'f'),
      `f: ${EXPECTED}; the URI could not be parsed (it needs a label and a query with secret=)`,
    );
    expectInvalid(
      () => validateOtpUri(`otpauth://totp/%E0%A4%A?secret=${RFC_SHA1}`, 'f'),
      `f: ${EXPECTED}; the URI could not be parsed (it needs a label and a query with secret=)`,
    );
  });

  it('never puts any part of the value in its message', () => {
    // A marker that no message text contains, wrapped in random noise that makes the value invalid.
    const marker = 'Qz9Xw';
    const noise = fc.string({ maxLength: 20 });
    const invalid = fc.oneof(
      fc.tuple(noise, noise).map(([a, b]) => `${a}${marker}${b}!`),
      fc.tuple(noise, noise).map(([a, b]) => `otpauth://totp/x?secret=${a}${marker}${b}1`),
      noise.map((a) => `otpauth://totp/${marker}${encodeURIComponent(a)}?secret=AB`),
      noise.map((a) => `otpauth://hotp/x?secret=${marker}${encodeURIComponent(a)}`),
    );
    fc.assert(
      fc.property(invalid, (value) => {
        const message = invalidMessage(() => validateOtpUri(value, 'fields[0].value'));
        expect(message).not.toContain(marker);
        expect(message).not.toContain(marker.toUpperCase());
      }),
    );
  });
});
