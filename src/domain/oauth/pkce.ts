import { createHash } from 'node:crypto';
import { safeEqual } from '../../crypto/secrets.js';

/** RFC 7636 §4.1: 43–128 unreserved characters. */
const VERIFIER = /^[A-Za-z0-9._~-]{43,128}$/;
/** An S256 challenge is the base64url of a SHA-256: 43 characters. */
export const S256_CHALLENGE = /^[A-Za-z0-9_-]{43}$/;

export const isCodeVerifier = (v: string) => VERIFIER.test(v);

/** Whether `verifier` hashes (S256) to `challenge`, compared in constant time. */
export function verifierMatches(verifier: string, challenge: string): boolean {
  const computed = createHash('sha256').update(verifier, 'ascii').digest('base64url');
  return safeEqual(Buffer.from(computed), Buffer.from(challenge));
}
