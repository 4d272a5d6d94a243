import { KeyObject, sign } from 'node:crypto';
import type { CryptoKey } from 'jose';

/**
 * Node's KeyObject of each imported signing key. Signing keys are imported once as WebCrypto
 * keys (signing-keys.ts); jose signs with those through `crypto.subtle`, a promise and a job on
 * the thread pool per signature, and about twice the CPU of a synchronous `crypto.sign` with the
 * key's KeyObject (docs/performance.md). Weak: a key dropped by its holder goes with its entry.
 */
const keyObjects = new WeakMap<CryptoKey, KeyObject>();

const part = (value: unknown) => Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');

/**
 * A compact JWS over `payload` with ES256 (RFC 7515, RFC 7518 §3.4: the signature is R || S, 64
 * bytes), for the tokens every issuance signs. `header` gets `alg: ES256` first.
 */
export function signES256(
  header: Record<string, unknown>,
  payload: Record<string, unknown>,
  key: CryptoKey,
): string {
  let keyObject = keyObjects.get(key);
  if (!keyObject) {
    keyObject = KeyObject.from(key);
    keyObjects.set(key, keyObject);
  }
  const input = `${part({ alg: 'ES256', ...header })}.${part(payload)}`;
  const signature = sign('sha256', Buffer.from(input, 'utf8'), { key: keyObject, dsaEncoding: 'ieee-p1363' });
  return `${input}.${signature.toString('base64url')}`;
}
