import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { integrityError } from '../errors/app-error.js';
import { randomBytesPooled } from './random-pool.js';

/**
 * AES-256-GCM sealing, the only cipher Keyhold uses at rest.
 *
 * Layout of a sealed value: `version (1 byte) | nonce (12) | ciphertext | tag (16)`. The nonce is
 * random per seal (96 bits; a data key seals far fewer than 2^32 values before it is rotated).
 * The additional authenticated data (AAD) names the exact place a value belongs to — account,
 * vault, item, version, part — so a ciphertext copied into another row fails to open instead of
 * decrypting into the wrong place.
 */
const FORMAT_VERSION = 1;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
export const KEY_BYTES = 32;

export function seal(key: Uint8Array, plaintext: Uint8Array, aad: string): Buffer {
  // From the pool (random-pool.ts): an item write seals twice, and one CSPRNG call per nonce was
  // ~2% of a create's serving-thread time in a CPU profile.
  const nonce = randomBytesPooled(NONCE_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, nonce);
  cipher.setAAD(Buffer.from(aad, 'utf8'));
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([Buffer.of(FORMAT_VERSION), nonce, body, cipher.getAuthTag()]);
}

/**
 * Opens a sealed value or throws an integrity error naming `what` (never the contents). GCM
 * authenticates before anything is returned, so a flipped byte or a foreign AAD yields an error,
 * never garbage.
 */
export function open(key: Uint8Array, sealed: Uint8Array, aad: string, what: string): Buffer {
  if (sealed.length < 1 + NONCE_BYTES + TAG_BYTES || sealed[0] !== FORMAT_VERSION) throw integrityError(what);
  const buf = Buffer.from(sealed.buffer, sealed.byteOffset, sealed.byteLength);
  const nonce = buf.subarray(1, 1 + NONCE_BYTES);
  const tag = buf.subarray(buf.length - TAG_BYTES);
  const body = buf.subarray(1 + NONCE_BYTES, buf.length - TAG_BYTES);
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, nonce);
    decipher.setAAD(Buffer.from(aad, 'utf8'));
    decipher.setAuthTag(tag);
    const plaintext = decipher.update(body);
    // GCM is a stream mode: final() adds no bytes, it only checks the tag (and throws if wrong).
    decipher.final();
    return plaintext;
  } catch (cause) {
    throw Object.assign(integrityError(what), { cause });
  }
}

export const sealJson = (key: Uint8Array, value: unknown, aad: string): Buffer =>
  seal(key, Buffer.from(JSON.stringify(value), 'utf8'), aad);

export const openJson = <T>(key: Uint8Array, sealed: Uint8Array, aad: string, what: string): T =>
  JSON.parse(open(key, sealed, aad, what).toString('utf8')) as T;

export const newDataKey = (): Buffer => randomBytes(KEY_BYTES);

/**
 * AAD strings, one builder per kind of sealed value. The `keyhold/<kind>/v1` prefix keeps kinds
 * apart even where the ids would coincide.
 */
export const aad = {
  masterKeyCheck: () => 'keyhold/master-key-check/v1',
  vaultKey: (accountId: string, vaultId: string) => `keyhold/vault-key/v1|${accountId}|${vaultId}`,
  vaultAttributes: (accountId: string, vaultId: string) => `keyhold/vault-attrs/v1|${accountId}|${vaultId}`,
  item: (
    accountId: string,
    vaultId: string,
    itemId: string,
    version: number,
    part: 'overview' | 'details' | 'content' | 'served',
  ) => `keyhold/item/v1|${accountId}|${vaultId}|${itemId}|${version}|${part}`,
  file: (accountId: string, vaultId: string, itemId: string, fileId: string, part: 'meta' | 'content') =>
    `keyhold/file/v1|${accountId}|${vaultId}|${itemId}|${fileId}|${part}`,
  accountKey: (accountId: string, keyId: string) => `keyhold/account-key/v1|${accountId}|${keyId}`,
  totpSecret: (accountId: string, userId: string) => `keyhold/totp-secret/v1|${accountId}|${userId}`,
} as const;
