import type { ClientRecord } from '../../storage/ports.js';
import { ADMIN_API_RESOURCE } from './cli-client.js';
import { exchangeForConnectToken } from './connect-token-exchange.js';
import { type CallFacts, clientContext, type OAuthDeps } from './context.js';
import {
  ACCESS_TOKEN_TYPE,
  actorClaim,
  CONNECT_TOKEN_TYPE,
  type SubjectToken,
  secondsLeft,
  subjectToken,
} from './exchange-tokens.js';
import { redeemAgainIfNarrowed, requireGrantStillCovers } from './grant-narrowed.js';
import { invalidRequest, invalidScope, invalidTarget, unauthorizedClient } from './oauth-error.js';
import { isOidcScope, OIDC_RESOURCE } from './oidc-scopes.js';
import { resolveScopes } from './requested-scopes.js';
import { mintTokens, registerTokens, type TokenResponse } from './token-issuer.js';

/**
 * RFC 8693 token exchange: a confidential client registered for the grant trades a user's access
 * token it holds (`subject_token`) for
 * - a narrower access token (`requested_token_type` absent or RFC 8693's access token type): the
 *   same audience with fewer scopes, or another resource server (`resource` or `audience`, its
 *   identifier) where the user has granted this client scopes — never a scope the subject token
 *   (or, for another audience, that grant) does not hold. It never outlives the subject token nor
 *   the target's token lifetime, has no refresh token, carries `act` for a delegation
 *   (`actor_token`), and belongs to the grant that allows it: revoking the grant ends it.
 * - a Connect token (`urn:keyhold:params:oauth:token-type:connect`, connect-token-exchange.ts).
 */
export async function exchangeToken(
  deps: OAuthDeps,
  client: ClientRecord,
  facts: CallFacts,
  jkt: string | null,
): Promise<TokenResponse> {
  if (client.authMethod === 'none') {
    throw unauthorizedClient('token exchange is for confidential clients: a public client cannot use it');
  }
  const requested = facts.form.get('requested_token_type') ?? ACCESS_TOKEN_TYPE;
  if (requested !== ACCESS_TOKEN_TYPE && requested !== CONNECT_TOKEN_TYPE) {
    throw invalidRequest(
      `requested_token_type ${requested} is not supported: ask for ${ACCESS_TOKEN_TYPE} or ${CONNECT_TOKEN_TYPE}`,
    );
  }
  // Again from the subject token when its grant was narrowed meanwhile: the token was narrowed too.
  return redeemAgainIfNarrowed(async () => {
    const subject = await subjectToken(deps, client, facts, jkt);
    if (requested === CONNECT_TOKEN_TYPE) return exchangeForConnectToken(deps, client, facts, jkt, subject);
    const act = await actorClaim(deps, client.accountId, facts, jkt, subject);
    return exchangeOnce(deps, client, facts, jkt, subject, act);
  });
}

async function exchangeOnce(
  deps: OAuthDeps,
  client: ClientRecord,
  facts: CallFacts,
  jkt: string | null,
  subject: SubjectToken,
  act: SubjectToken['act'],
): Promise<TokenResponse> {
  const target = targetOf(facts.form) ?? subject.resource;
  const catalog = await deps.catalogs.get(client.accountId);
  if (!catalog.resourceServers.some((s) => s.identifier === target)) {
    throw invalidTarget(`unknown resource ${target}`);
  }
  // What the new token may hold: the subject token's scopes at its own audience; at another, what
  // the same user granted this client there.
  let grantId = subject.grantId;
  let allowed = subject.scopes;
  // RFC 9396 details narrow what the scopes allow; the new token keeps them (never wider).
  let details = subject.authorizationDetails;
  if (target !== subject.resource) {
    if (target === OIDC_RESOURCE || target === ADMIN_API_RESOURCE) {
      throw invalidTarget(`a token exchange does not issue tokens for ${target}`);
    }
    const grant = await deps.storage.grants.find(subject.userId, client.id, target);
    if (!grant) throw invalidTarget(`the user has granted this client nothing at ${target}`);
    grantId = grant.id;
    allowed = grant.scopes;
    details = grant.authorizationDetails;
  }
  const asked = facts.form.get('scope') ?? allowed.filter((s) => !isOidcScope(s)).join(' ');
  const { resource, scopes } = resolveScopes(catalog, client, asked, [target]);
  const oidc = scopes.filter(isOidcScope);
  if (oidc.length > 0) {
    throw invalidScope(`\`${oidc.join(' ')}\` signs a user in: a token exchange does not issue it`);
  }
  const wider = scopes.filter((s) => !allowed.includes(s));
  if (wider.length > 0) {
    throw invalidScope(
      `a token exchange only narrows: \`${wider.join(' ')}\` is not held by the ${target === subject.resource ? 'subject token' : `user's grant at ${target}`}`,
    );
  }
  const minted = await mintTokens(deps.keys, {
    issuer: deps.issuer(client.accountId),
    client,
    userId: subject.userId,
    grantId,
    codeId: null,
    resource,
    scopes,
    withRefreshToken: false,
    jkt,
    ttl: secondsLeft(subject),
    ...(act === undefined ? {} : { act }),
    ...(details === undefined ? {} : { authorizationDetails: details }),
  });
  const ctx = clientContext(client.accountId, client.id, facts);
  const response = await deps.storage.transaction(async (tx) => {
    // The grant may have been narrowed or revoked since the subject token was read.
    await requireGrantStillCovers(tx, client.accountId, grantId, scopes);
    return registerTokens(tx, ctx, minted);
  });
  return { ...response, issued_token_type: ACCESS_TOKEN_TYPE };
}

/**
 * The one target of the request: `resource` (RFC 8707) or `audience` (RFC 8693 §2.1, here a
 * resource server's identifier as well); several, or two that differ, are refused.
 */
function targetOf(form: URLSearchParams): string | undefined {
  const targets = [...new Set([...form.getAll('resource'), ...form.getAll('audience')])];
  if (targets.length > 1) {
    throw invalidTarget('give one resource or audience: a token is issued for exactly one resource server');
  }
  if (targets[0] === '') throw invalidRequest('resource and audience cannot be empty');
  return targets[0];
}
