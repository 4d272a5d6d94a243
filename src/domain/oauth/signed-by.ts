import { decodeProtectedHeader } from 'jose';
import type { SigningKeys } from '../connect/signing-keys.js';

/**
 * Whether a registered OAuth token still stands as far as its signature goes. An opaque token
 * (`khat_…`) has no signature: it stands. An RFC 9068 JWT access token stands only while the key
 * named by its `kid` still verifies: once an administrator withdraws that key, every JWT it
 * signed is inactive at introspection and refused by the vault API at once, whatever its expiry
 * says — as it is for a resource server that verifies locally, since the key leaves the JWKS.
 */
export async function signatureStands(keys: Pick<SigningKeys, 'verifier'>, token: string): Promise<boolean> {
  // Opaque tokens have no dot: no header to parse (and no exception to build) on every request.
  if (!token.includes('.')) return true;
  let kid: unknown;
  try {
    kid = decodeProtectedHeader(token).kid;
  } catch {
    return true; // not a JWT
  }
  // A registered JWT was signed by this service, always with a kid; without one it stands on its
  // registration alone, like an opaque token.
  if (typeof kid !== 'string') return true;
  return (await keys.verifier(kid)) !== undefined;
}
