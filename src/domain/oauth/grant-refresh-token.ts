import { hashSecret } from '../../crypto/secrets.js';
import type { ClientRecord } from '../../storage/ports.js';
import { recordAudit } from '../audit/audit-log.js';
import { activeUser } from '../users/active-user.js';
import {
  detailScopes,
  heldDetails,
  parseAuthorizationDetails,
  type VaultAuthorizationDetail,
} from './authorization-details.js';
import { ADMIN_API_RESOURCE } from './cli-client.js';
import { type CallFacts, clientContext, type OAuthDeps } from './context.js';
import { cliScopes } from './device-authorization.js';
import { requireSameKey } from './dpop-binding.js';
import { revokeExchangedConnectTokens } from './exchanged-connect-tokens.js';
import { redeemAgainIfNarrowed, requireGrantStillCovers } from './grant-narrowed.js';
import { signIdToken } from './id-token.js';
import {
  invalidAuthorizationDetails,
  invalidGrant,
  invalidRequest,
  invalidScope,
  OAuthError,
} from './oauth-error.js';
import { requireSameResource, resolveScopes } from './requested-scopes.js';
import { mintTokens, registerTokens, type TokenResponse } from './token-issuer.js';

/**
 * RFC 6749 §6 with rotation: each refresh token works once and is replaced. A rotated token
 * presented again means it was stolen, so the whole grant is revoked (RFC 9700 §4.14.2) and the
 * user must consent again. A refresh can narrow the scope, never widen it or change the resource.
 */
export function redeemRefreshToken(
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
  const presented = form.get('refresh_token');
  if (!presented) throw invalidRequest('refresh_token is missing');
  const record = await deps.storage.oauthTokens.findByHash(hashSecret(presented));
  const now = new Date().toISOString();
  if (record?.kind !== 'refresh' || record.clientId !== client.id || record.revokedAt !== null) {
    throw invalidGrant('the refresh token is invalid, expired or revoked');
  }
  // A bound token is of no use, not even to reveal reuse, without its key (RFC 9449 §5).
  requireSameKey(record, jkt);
  const ctx = clientContext(client.accountId, client.id, facts);
  if (record.rotatedAt !== null) {
    await revokeGrant(deps, ctx, record.grantId);
    throw invalidGrant('the refresh token was already used; the grant is revoked');
  }
  if (record.expiresAt <= now) throw invalidGrant('the refresh token is invalid, expired or revoked');
  if (record.userId !== null) {
    const standing = await activeUser(deps.storage, client.accountId, record.userId);
    if (!standing.active) throw invalidGrant(`the refresh token is refused: ${standing.message}`);
  }

  requireSameResource(form, record.resource, 'refresh token');
  const scopeParam = form.get('scope');
  const asked = scopeParam ?? record.scopes.join(' ');
  // Re-resolved against today's catalog and client: a scope removed since stops here. The CLI's
  // admin API tokens are outside the catalog, with their one fixed scope.
  const { resource, scopes } =
    record.resource === ADMIN_API_RESOURCE
      ? cliScopes(asked, [record.resource])
      : resolveScopes(await deps.catalogs.get(client.accountId), client, asked, [record.resource]);
  const wider = scopes.filter((s) => !record.scopes.includes(s));
  if (wider.length > 0) {
    throw invalidScope(`a refresh cannot add scopes: \`${wider.join(' ')}\` was not granted`);
  }
  const narrowed = narrowDetails(form, record.authorizationDetails, scopes);
  const minted = await mintTokens(deps.keys, {
    issuer: deps.issuer(client.accountId),
    client,
    userId: record.userId,
    grantId: record.grantId,
    codeId: record.codeId,
    resource,
    scopes: narrowed.scopes,
    withRefreshToken: true,
    jkt,
    ...(narrowed.details ? { authorizationDetails: narrowed.details } : {}),
  });
  // OpenID Connect: a new ID token for the sign-in the chain began with (Core §12.2), while its
  // code is on record (purge.ts keeps a code about 31 days; after that a refresh answers none).
  const code =
    scopes.includes('openid') && record.codeId
      ? await deps.storage.authorizationCodes.findById(record.codeId)
      : undefined;
  if (code?.signIn && record.userId !== null) {
    minted.response.id_token = await signIdToken(deps, {
      issuer: deps.issuer(client.accountId),
      client,
      userId: record.userId,
      scopes,
      accessToken: minted.response.access_token,
      signIn: code.signIn,
      withNonce: false,
    });
  }
  return deps.storage.transaction(async (tx) => {
    if (!(await tx.oauthTokens.rotate(record.id, now))) {
      throw invalidGrant('the refresh token was already used');
    }
    await requireGrantStillCovers(tx, client.accountId, record.grantId, narrowed.scopes);
    return registerTokens(tx, ctx, minted);
  });
}

/**
 * RFC 9396 §6.2: a refresh keeps the token's authorization details, or narrows them to some of
 * its entries (`authorization_details` naming them again); it never adds one. Entries left out
 * take the one-vault scopes only they stood for with them.
 */
function narrowDetails(
  form: URLSearchParams,
  held: VaultAuthorizationDetail[] | undefined,
  scopes: string[],
): { scopes: string[]; details?: VaultAuthorizationDetail[] } {
  const raw = form.getAll('authorization_details');
  if (raw.length === 0) return held ? { scopes, details: held } : { scopes };
  if (raw.length > 1) throw invalidRequest('parameter authorization_details is repeated');
  const asked = parseAuthorizationDetails(raw[0] as string);
  if (asked instanceof OAuthError) throw asked;
  const kept = heldDetails(asked, held ?? []);
  if (kept.length < asked.length) {
    throw invalidAuthorizationDetails(
      'a refresh cannot add authorization details: name entries the token was issued with, exactly',
    );
  }
  const dropped = new Set(detailScopes(held ?? []));
  for (const scope of detailScopes(kept)) dropped.delete(scope);
  return { scopes: scopes.filter((s) => !dropped.has(s)), details: kept };
}

async function revokeGrant(deps: OAuthDeps, ctx: ReturnType<typeof clientContext>, grantId: string | null) {
  if (grantId === null) return;
  await deps.storage.transaction(async (tx) => {
    // Deleting the grant takes its codes and tokens with it (cascade); its Connect tokens are revoked.
    await revokeExchangedConnectTokens(tx, { accountId: ctx.actor.accountId, grantId });
    await tx.grants.delete(ctx.actor.accountId, grantId);
    await recordAudit(tx.audit, ctx, {
      action: 'DELETE',
      resourceType: 'OAUTH_GRANT',
      resourceId: grantId,
      result: 'SUCCESS',
    });
  });
}
