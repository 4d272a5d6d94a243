import { createHash } from 'node:crypto';
import { SignJWT } from 'jose';
import type { ClientRecord, CodeSignIn, Stores } from '../../storage/ports.js';
import type { SigningKeys } from '../connect/signing-keys.js';
import { invalidGrant } from './oauth-error.js';
import { userClaims } from './oidc-scopes.js';

/** An ID token is read at once by its client; an hour also bounds how long a retired key must verify it. */
export const ID_TOKEN_TTL = 3600;

/** `acr` values (Core §2): a password alone, or a password and a one-time code. */
export const ACR_PASSWORD = 'urn:keyhold:acr:pwd';
export const ACR_MFA = 'urn:keyhold:acr:mfa';

export interface IdTokenRequest {
  issuer: string;
  client: ClientRecord;
  userId: string;
  scopes: readonly string[];
  /** The access token issued beside it, for `at_hash`. */
  accessToken: string;
  signIn: CodeSignIn;
  /**
   * The code's redemption repeats the request's `nonce`; a refresh does not (Core §12.2: the
   * new ID token SHOULD NOT have one), but keeps `auth_time`, `amr` and `acr` of the sign-in.
   */
  withNonce: boolean;
}

/**
 * The ID token of OpenID Connect Core §2, signed ES256 by the account's `oauth` key (the one that
 * signs RFC 9068 access tokens, published in the issuer's JWKS). The two cannot pass for each
 * other: an access token says `typ: at+jwt` (RFC 9068 §4 makes resource servers check it) and is
 * for a resource server, an ID token says `typ: JWT` and is for the client (`aud` = client id).
 */
export async function signIdToken(
  deps: { storage: Pick<Stores, 'users'>; keys: Pick<SigningKeys, 'signer'> },
  request: IdTokenRequest,
): Promise<string> {
  const accountId = request.client.accountId;
  const user = await deps.storage.users.get(accountId, request.userId);
  // The caller checked the user is active just before; a user deleted since gets no ID token.
  if (!user) throw invalidGrant('the user no longer exists');
  const signer = await deps.keys.signer(accountId, 'oauth');
  const now = Math.floor(Date.now() / 1000);
  const { signIn } = request;
  return new SignJWT({
    ...userClaims(user, request.scopes),
    auth_time: Math.floor(Date.parse(signIn.authTime) / 1000),
    amr: signIn.amr,
    acr: signIn.amr.includes('mfa') ? ACR_MFA : ACR_PASSWORD,
    at_hash: accessTokenHash(request.accessToken),
    ...(request.withNonce && signIn.nonce !== null ? { nonce: signIn.nonce } : {}),
  })
    .setProtectedHeader({ alg: 'ES256', kid: signer.kid, typ: 'JWT' })
    .setIssuer(request.issuer)
    .setSubject(user.id)
    .setAudience(request.client.id)
    .setIssuedAt(now)
    .setExpirationTime(now + ID_TOKEN_TTL)
    .sign(signer.privateKey);
}

/** Core §3.1.3.6: the left half of the access token's SHA-256 (ES256 hashes with SHA-256), base64url. */
export function accessTokenHash(accessToken: string): string {
  return createHash('sha256').update(accessToken, 'ascii').digest().subarray(0, 16).toString('base64url');
}
