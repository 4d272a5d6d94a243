import { hashSecret } from '../../crypto/secrets.js';
import { KeyholdError } from '../../errors/keyhold-error.js';
import type { Stores } from '../../storage/ports.js';
import type { SigningKeys } from '../connect/signing-keys.js';
import { activeUser } from '../users/active-user.js';
import { userClaims } from './oidc-scopes.js';
import { signatureStands } from './signed-by.js';

export type BearerErrorCode = 'invalid_request' | 'invalid_token' | 'insufficient_scope';

/**
 * An RFC 6750 §3 refusal of a protected resource (the userinfo endpoint): 400 `invalid_request`,
 * 401 `invalid_token`, 403 `insufficient_scope`; with no code at all (a request that sent no
 * token), a bare 401 challenge. The answer carries it in `WWW-Authenticate: Bearer …`
 * (src/errors/bearer-format.ts).
 */
export class BearerError extends KeyholdError<BearerErrorCode | 'unauthorized'> {
  constructor(
    code: BearerErrorCode | undefined,
    description: string,
    readonly scope?: string,
  ) {
    const status = code === 'invalid_request' ? 400 : code === 'insufficient_scope' ? 403 : 401;
    super(status, code ?? 'unauthorized', description);
  }
}

/** The bearer token of an `Authorization` header (RFC 6750 §2.1); undefined when none was sent. */
export function bearerToken(authorization: string | undefined): string | undefined {
  if (authorization === undefined) return undefined;
  const match = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i.exec(authorization);
  if (!match?.[1]) {
    throw new BearerError('invalid_request', 'send the access token as `Authorization: Bearer <token>`');
  }
  return match[1];
}

/**
 * OpenID Connect Core §5.3: the claims about the signed-in user that the access token's scopes
 * allow. The token must be one this account's server issued for a user with `openid` among its
 * scopes, whatever its audience (the sign-in resource, the vault API, a registered resource
 * server): registered by hash, an access token, not expired, revoked or rotated away, signed by
 * a key not withdrawn, its user enabled. Read on every call, so a revoked grant answers at once.
 */
export async function userinfo(
  stores: Pick<Stores, 'oauthTokens' | 'users'>,
  keys: Pick<SigningKeys, 'verifier'>,
  accountId: string,
  token: string | undefined,
): Promise<Record<string, unknown>> {
  if (token === undefined) throw new BearerError(undefined, 'send `Authorization: Bearer <access token>`');
  const record = await stores.oauthTokens.findByHash(hashSecret(token));
  const invalid = (why: string) => new BearerError('invalid_token', why);
  if (record?.kind !== 'access' || record.accountId !== accountId)
    throw invalid('the access token is not valid');
  if (record.revokedAt !== null || record.rotatedAt !== null) throw invalid('the access token is revoked');
  if (record.expiresAt <= new Date().toISOString()) throw invalid('the access token has expired');
  if (!(await signatureStands(keys, token)))
    throw invalid('the access token is refused: its signing key has been withdrawn');
  // A DPoP-bound token is never accepted as a bearer token (RFC 9449 §7.1): a stolen one would
  // otherwise read the user's claims here without the key.
  if (record.jkt !== null) throw invalid('the access token is DPoP-bound: userinfo takes bearer tokens only');
  if (record.userId === null || !record.scopes.includes('openid')) {
    throw new BearerError(
      'insufficient_scope',
      'the access token was not granted the openid scope',
      'openid',
    );
  }
  const standing = await activeUser(stores, accountId, record.userId);
  if (!standing.active) throw invalid(`the access token is refused: ${standing.message}`);
  return { sub: standing.user.id, ...userClaims(standing.user, record.scopes) };
}
