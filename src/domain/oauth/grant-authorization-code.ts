import { hashSecret } from '../../crypto/secrets.js';
import type { ClientRecord } from '../../storage/ports.js';
import { recordAudit } from '../audit/audit-log.js';
import { activeUser } from '../users/active-user.js';
import { heldDetails } from './authorization-details.js';
import { type CallFacts, clientContext, type OAuthDeps } from './context.js';
import { requireCodeKey } from './dpop-jkt.js';
import { redeemAgainIfNarrowed, requireGrantStillCovers } from './grant-narrowed.js';
import { signIdToken } from './id-token.js';
import { invalidGrant, invalidRequest } from './oauth-error.js';
import { isCodeVerifier, verifierMatches } from './pkce.js';
import { requireSameResource } from './requested-scopes.js';
import { mintTokens, registerTokens, type TokenResponse } from './token-issuer.js';

/**
 * RFC 6749 §4.1.3 with PKCE (RFC 7636) required. A code is single-use: presenting it again
 * revokes every token issued from it (RFC 9700 §4.5), since a second redemption means it leaked.
 */
export function redeemAuthorizationCode(
  deps: OAuthDeps,
  client: ClientRecord,
  facts: CallFacts,
  jkt: string | null,
): Promise<TokenResponse> {
  return redeemAgainIfNarrowed(() => redeemOnce(deps, client, facts, jkt));
}

async function redeemOnce(
  deps: OAuthDeps,
  client: ClientRecord,
  facts: CallFacts,
  jkt: string | null,
): Promise<TokenResponse> {
  const { form } = facts;
  const code = form.get('code');
  const verifier = form.get('code_verifier');
  const redirectUri = form.get('redirect_uri');
  if (!code) throw invalidRequest('code is missing');
  if (verifier === null) throw invalidGrant('code_verifier is missing: PKCE is required');
  const record = await deps.storage.authorizationCodes.findByHash(hashSecret(code));
  // One answer for unknown, foreign and expired codes: the caller learns nothing about codes.
  if (!record || record.clientId !== client.id) throw invalidGrant('the code is invalid or expired');
  const ctx = clientContext(client.accountId, client.id, facts);
  const now = new Date().toISOString();
  if (record.consumedAt !== null) {
    await deps.storage.transaction(async (tx) => {
      await tx.oauthTokens.revokeByCode(record.id, now);
      await recordAudit(tx.audit, ctx, {
        action: 'CREATE',
        resourceType: 'OAUTH_TOKEN',
        resourceId: record.id,
        result: 'DENY',
      });
    });
    throw invalidGrant('the code was already used; the tokens issued from it are revoked');
  }
  if (record.expiresAt <= now) throw invalidGrant('the code is invalid or expired');
  requireCodeKey(record, jkt);
  if (redirectUri !== record.redirectUri) {
    throw invalidGrant('redirect_uri differs from the one of the authorization request');
  }
  if (!isCodeVerifier(verifier) || !verifierMatches(verifier, record.codeChallenge)) {
    throw invalidGrant('code_verifier does not match the code_challenge');
  }
  requireSameResource(form, record.resource, 'code');
  const standing = await activeUser(deps.storage, record.accountId, record.userId);
  if (!standing.active) throw invalidGrant(`the code is refused: ${standing.message}`);
  // The grant as it is now: a scope the user took away after this code was issued (consent
  // again, narrower) is not issued from it.
  const grant = await deps.storage.grants.get(record.accountId, record.grantId);
  const scopes = record.scopes.filter((s) => grant?.scopes.includes(s));
  if (scopes.length === 0) throw invalidGrant('the code is invalid or expired');
  // Likewise its authorization details (RFC 9396): those the grant holds now.
  const details =
    record.authorizationDetails &&
    heldDetails(record.authorizationDetails, grant?.authorizationDetails ?? []);
  if (details?.length === 0) throw invalidGrant('the code is invalid or expired');
  const catalog = await deps.catalogs.get(client.accountId);
  const resource = catalog.resourceServers.find((s) => s.identifier === record.resource);
  if (!resource) throw invalidGrant(`resource server ${record.resource} no longer exists`);
  const minted = await mintTokens(deps.keys, {
    issuer: deps.issuer(client.accountId),
    client,
    userId: record.userId,
    grantId: record.grantId,
    codeId: record.id,
    resource,
    scopes,
    withRefreshToken: client.grantTypes.includes('refresh_token'),
    jkt,
    ...(details ? { authorizationDetails: details } : {}),
  });
  if (record.signIn && scopes.includes('openid')) {
    minted.response.id_token = await signIdToken(deps, {
      issuer: deps.issuer(client.accountId),
      client,
      userId: record.userId,
      scopes,
      accessToken: minted.response.access_token,
      signIn: record.signIn,
      withNonce: true,
    });
  }
  return deps.storage.transaction(async (tx) => {
    // Consumed inside the transaction that registers: two racing redemptions cannot both win.
    if (!(await tx.authorizationCodes.consume(record.id, now))) {
      throw invalidGrant('the code was already used');
    }
    await requireGrantStillCovers(tx, record.accountId, record.grantId, scopes);
    return registerTokens(tx, ctx, minted);
  });
}
