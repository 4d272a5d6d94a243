import { isId } from '../../crypto/ids.js';
import { hashSecret } from '../../crypto/secrets.js';
import { notFound } from '../../errors/app-error.js';
import type { GrantRecord, OAuthTokenRecord, VaultAuthorizationDetail } from '../../storage/ports.js';
import { nobody } from '../access/principals.js';
import type { RequestContext } from '../context.js';
import { activeUser } from '../users/active-user.js';
import type { OAuthDeps } from './context.js';
import { deleteGrant } from './grant-service.js';
import { isActive } from './introspection.js';
import { invalidToken } from './oauth-error.js';
import { signatureStands } from './signed-by.js';

/**
 * Grant management for clients (after the OAuth Grant Management draft, as FAPI uses it): a
 * client asks what a user's grant holds, or revokes it, at `{issuer}/grant-management/{grant_id}`,
 * with an access token the user's grant gave it. The token speaks for the grant it was issued
 * under and for the same user's other grants to the same client — nothing else: any other grant
 * id, existing or not, is the same 404, so a token cannot probe for grants. The `grant_id` comes
 * with every token response of a user's grant (token-issuer.ts). Admins and users manage grants
 * in the admin API and on the grants page (grant-service.ts); every revocation goes through
 * `deleteGrant`.
 */

/**
 * The draft's grant status: each resource's granted scopes and, for a grant consented with RFC
 * 9396 details, those details (the scopes they stand for are among the scopes).
 */
export interface GrantStatus {
  scopes: { scope: string; resource: string[] }[];
  authorization_details?: VaultAuthorizationDetail[];
}

export interface BearerFacts {
  /** The access token sent as `Authorization: Bearer …`, if any. */
  token: string | undefined;
  requestId: string | null;
  ip: string | null;
  userAgent: string | null;
}

export async function queryGrant(
  deps: Pick<OAuthDeps, 'storage' | 'keys'>,
  accountId: string,
  grantId: string,
  facts: BearerFacts,
): Promise<GrantStatus> {
  const { grant } = await grantOfToken(deps, accountId, grantId, facts);
  return {
    scopes: [{ scope: grant.scopes.join(' '), resource: [grant.resource] }],
    ...(grant.authorizationDetails === undefined
      ? {}
      : { authorization_details: grant.authorizationDetails }),
  };
}

export async function revokeGrant(
  deps: Pick<OAuthDeps, 'storage' | 'keys'>,
  accountId: string,
  grantId: string,
  facts: BearerFacts,
): Promise<void> {
  const { grant, token } = await grantOfToken(deps, accountId, grantId, facts);
  await deps.storage.transaction((tx) => deleteGrant(tx, tokenContext(token, facts), grant));
}

/** The grant, when the bearer token may manage it; 401 for a token that is not valid, 404 for any other grant. */
async function grantOfToken(
  deps: Pick<OAuthDeps, 'storage' | 'keys'>,
  accountId: string,
  grantId: string,
  facts: BearerFacts,
): Promise<{ grant: GrantRecord; token: OAuthTokenRecord & { userId: string } }> {
  if (!facts.token) throw invalidToken('send `Authorization: Bearer <access token>`');
  const token = await deps.storage.oauthTokens.findByHash(hashSecret(facts.token));
  const valid =
    token !== undefined &&
    token.kind === 'access' &&
    token.accountId === accountId &&
    token.userId !== null &&
    isActive(token) &&
    (await signatureStands(deps.keys, facts.token)) &&
    (await activeUser(deps.storage, accountId, token.userId)).active;
  if (!valid) throw invalidToken('the access token is not valid');
  // A DPoP-bound token is never accepted as a bearer token (RFC 9449 §7.1), and this endpoint
  // takes no proof.
  if (token.jkt !== null)
    throw invalidToken('the access token is DPoP-bound: grant management takes bearer tokens only');
  const grant = isId(grantId) ? await deps.storage.grants.get(accountId, grantId) : undefined;
  if (!grant || grant.clientId !== token.clientId || grant.userId !== token.userId) {
    throw notFound(`grant ${grantId} not found`);
  }
  return { grant, token: token as OAuthTokenRecord & { userId: string } };
}

/** The client acting with the user's token, as the vault API records it. */
const tokenContext = (token: OAuthTokenRecord & { userId: string }, facts: BearerFacts): RequestContext => ({
  actor: { type: 'oauth_token', id: token.userId, accountId: token.accountId, tokenId: token.id },
  principal: nobody(token.accountId),
  requestId: facts.requestId,
  ip: facts.ip,
  userAgent: facts.userAgent,
});
