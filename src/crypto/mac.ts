import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';

/**
 * HMAC-SHA-256 over plaintext columns, so a row's metadata cannot be altered in storage without
 * detection. The key is derived from a vault's data key with HKDF under its own label: the same
 * bytes never serve as both an AES-GCM key and an HMAC key, and checking a MAC needs only the
 * (cached) data key, never the master key.
 */
const MAC_BYTES = 32;
const MAC_KEY_LABEL = 'keyhold/metadata-mac/v1';

export const deriveMacKey = (dataKey: Uint8Array): Buffer =>
  Buffer.from(hkdfSync('sha256', dataKey, Buffer.alloc(0), MAC_KEY_LABEL, MAC_BYTES));

/**
 * The MAC of an ordered list of values. They are encoded as a JSON array, so no value can run
 * into the next one (`["a|b","c"]` and `["a","b|c"]` differ); the first element names what is
 * authenticated, which keeps kinds apart where their values would coincide.
 */
export const macOf = (key: Uint8Array, parts: readonly (string | number)[]): Buffer =>
  createHmac('sha256', key).update(JSON.stringify(parts)).digest();

/** Whether `mac` is the MAC of `parts`; a missing or short value never matches. Constant time. */
export function macMatches(
  key: Uint8Array,
  parts: readonly (string | number)[],
  mac: Uint8Array | null | undefined,
): boolean {
  if (!mac || mac.length !== MAC_BYTES) return false;
  return timingSafeEqual(macOf(key, parts), mac);
}
