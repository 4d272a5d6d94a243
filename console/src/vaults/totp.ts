/**
 * RFC 6238 time-based codes, computed in the browser with WebCrypto.
 *
 * Why here and not from the API: the item view already holds the OTP field's value (the item is
 * one audited read, `GET …/items/{id}`, which returns every field's value), so computing the code
 * locally needs no request and adds nothing to the audit trail; asking the API for the current
 * code every period would record a READ of the whole item every 30 seconds for as long as the
 * page is open, burying the reads that matter. The API's own `totp` (computed when the item was
 * read) is what the test compares against, and the parsing rules mirror src/domain/items/otp.ts:
 * an `otpauth://totp/…` URI or a bare base32 secret (SHA1, 6 digits, 30 s).
 */
export interface TotpKey {
  secret: Uint8Array<ArrayBuffer>;
  algorithm: 'SHA-1' | 'SHA-256' | 'SHA-512';
  digits: number;
  period: number;
}

function base32(text: string): Uint8Array<ArrayBuffer> | undefined {
  const clean = text.replace(/\s+/g, '').replace(/=+$/, '').toUpperCase();
  if (!/^[A-Z2-7]+$/.test(clean)) return undefined;
  const out: number[] = [];
  let bits = 0;
  let value = 0;
  for (const c of clean) {
    value = (value << 5) | 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'.indexOf(c);
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return new Uint8Array(out);
}

/** The key an OTP field's value describes; undefined when it describes none. */
export function parseTotp(raw: string): TotpKey | undefined {
  const value = raw.trim();
  if (!/^otpauth:\/\//i.test(value)) {
    const secret = base32(value);
    return secret && secret.length >= 10 ? { secret, algorithm: 'SHA-1', digits: 6, period: 30 } : undefined;
  }
  if (!/^otpauth:\/\/totp\//i.test(value)) return undefined;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return undefined;
  }
  const secret = base32(url.searchParams.get('secret') ?? '');
  const name = (url.searchParams.get('algorithm') ?? 'SHA1').toUpperCase();
  const algorithm = ({ SHA1: 'SHA-1', SHA256: 'SHA-256', SHA512: 'SHA-512' } as const)[
    name as 'SHA1' | 'SHA256' | 'SHA512'
  ];
  const digits = Number(url.searchParams.get('digits') ?? 6);
  const period = Number(url.searchParams.get('period') ?? 30);
  if (!secret || secret.length < 10 || !algorithm) return undefined;
  if (!Number.isInteger(digits) || digits < 6 || digits > 10) return undefined;
  if (!Number.isInteger(period) || period < 1) return undefined;
  return { secret, algorithm, digits, period };
}

/** The code at `now` (ms since the epoch): HOTP (RFC 4226) of the period's counter. */
export async function totpAt(key: TotpKey, now: number): Promise<string> {
  const counter = Math.floor(now / 1000 / key.period);
  const message = new Uint8Array(8);
  new DataView(message.buffer).setUint32(0, Math.floor(counter / 0x1_0000_0000));
  new DataView(message.buffer).setUint32(4, counter >>> 0);
  const hmacKey = await crypto.subtle.importKey(
    'raw',
    key.secret,
    { name: 'HMAC', hash: key.algorithm },
    false,
    ['sign'],
  );
  const mac = new Uint8Array(await crypto.subtle.sign('HMAC', hmacKey, message));
  const offset = (mac[mac.length - 1] as number) & 0x0f;
  const code =
    (((mac[offset] as number) & 0x7f) << 24) |
    ((mac[offset + 1] as number) << 16) |
    ((mac[offset + 2] as number) << 8) |
    (mac[offset + 3] as number);
  return String(code % 10 ** key.digits).padStart(key.digits, '0');
}

/** Seconds left in the current period. */
export const secondsLeft = (key: TotpKey, now: number) => key.period - (Math.floor(now / 1000) % key.period);
