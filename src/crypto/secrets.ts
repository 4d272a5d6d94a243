import { hash, timingSafeEqual } from 'node:crypto';
import { randomBytesPooled } from './random-pool.js';

/**
 * Bearer secrets: 32 random bytes, base64url, behind a prefix that names their kind so secret
 * scanners and humans can tell them apart (`khadm_…` is an admin API token).
 */
export function newBearerSecret(prefix: string): string {
  return `${prefix}_${randomBytesPooled(32).toString('base64url')}`;
}

/**
 * Only hashes of bearer secrets are stored. SHA-256 is right for 256-bit random secrets (no
 * dictionary to attack); slow password hashes are for human-chosen passwords only.
 */
export function hashSecret(secret: string): Buffer {
  return hash('sha256', secret, 'buffer');
}

/** Constant-time equality for secrets and their hashes. */
export function safeEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}
