import { isId } from '../../crypto/ids.js';
import type {
  ClientRecord,
  ConnectGrant,
  ConnectServerRecord,
  VaultAuthorizationDetail,
} from '../../storage/ports.js';
import { detailAllows } from '../access/decide.js';
import type { VaultApiPermission } from '../access/permissions.js';
import { registerConnectToken, signConnectToken } from '../connect/token-service.js';
import { detailGrants } from './authorization-details.js';
import { type CallFacts, clientContext, type OAuthDeps } from './context.js';
import { CONNECT_TOKEN_TYPE, type SubjectToken, secondsLeft } from './exchange-tokens.js';
import { requireGrantStillCovers } from './grant-narrowed.js';
import { invalidRequest, invalidScope, invalidTarget } from './oauth-error.js';
import { parseScopeParam } from './scope-names.js';
import type { TokenResponse } from './token-issuer.js';
import { VAULT_API_RESOURCE, vaultScopeGrant } from './vault-api.js';

/**
 * The longest a Connect token from a token exchange lives: 15 minutes, and never past the access
 * token it was exchanged for. The client exchanges again for another.
 */
export const EXCHANGED_CONNECT_TOKEN_TTL = 900;

/**
 * The Connect bridge (RFC 8693 with Keyhold's `urn:keyhold:params:oauth:token-type:connect`): a
 * vault API access token of a user's grant becomes a short-lived Connect token for the Connect
 * server `audience` names (its id or its name), so an application the user granted vault access
 * can use the Connect SDKs. The token grants, per vault that server serves, what the access
 * token's vault scopes (or the narrower `scope` asked) grant there and the user may do there now
 * (read, write) — the intersection; nothing in common is `invalid_target` in words that say
 * nothing of vaults, or servers, the caller cannot see. It names the grant (`oauth_grant_id`),
 * and every way the grant ends revokes it (exchanged-connect-tokens.ts), on standalone Connect
 * nodes too.
 *
 * Refused: a DPoP-bound subject token or a request with a DPoP proof (a Connect token is a bearer
 * token: the sender constraint would be lost), an `actor_token` (a Connect token has no `act`),
 * `resource` (the target is a Connect server, not a resource server).
 */
export async function exchangeForConnectToken(
  deps: OAuthDeps,
  client: ClientRecord,
  facts: CallFacts,
  jkt: string | null,
  subject: SubjectToken,
): Promise<TokenResponse> {
  const { form } = facts;
  if (subject.resource !== VAULT_API_RESOURCE) {
    throw invalidRequest(
      `a Connect token is exchanged for an access token of the vault API (${VAULT_API_RESOURCE})`,
    );
  }
  if (jkt !== null || subject.jkt !== null) {
    throw invalidRequest(
      'a Connect token is a bearer token: a DPoP-bound access token, or a request with a DPoP proof, cannot be exchanged for one',
    );
  }
  if (form.has('actor_token') || form.has('actor_token_type')) {
    throw invalidRequest('a Connect token carries no act: leave actor_token out');
  }
  if (form.has('resource')) {
    throw invalidTarget('a Connect token is for a Connect server: name it in audience, not resource');
  }
  const audiences = form.getAll('audience');
  if (audiences.length !== 1 || audiences[0] === '') {
    throw invalidRequest('give the Connect server, its id or its name, in one audience parameter');
  }
  const audience = audiences[0] as string;
  const scopes = askedScopes(form.get('scope'), subject.scopes);
  return issue(deps, client, facts, subject, audience, scopes);
}

async function issue(
  deps: OAuthDeps,
  client: ClientRecord,
  facts: CallFacts,
  subject: SubjectToken,
  audience: string,
  scopes: string[],
): Promise<TokenResponse> {
  const { accountId } = client;
  const server = await serverNamed(deps, accountId, audience);
  const grants =
    server === undefined
      ? []
      : await intersection(deps, subject.userId, server.id, scopes, subject.authorizationDetails);
  if (server === undefined || grants.length === 0) {
    throw invalidTarget(
      `Connect server "${audience}": there is no such server, or it serves no vault this access token grants`,
    );
  }
  const ttl = Math.min(EXCHANGED_CONNECT_TOKEN_TTL, secondsLeft(subject));
  const { record, token } = await signConnectToken(deps.keys, {
    accountId,
    serverId: server.id,
    name: `token exchange by ${client.id}`,
    grants,
    expiresInSeconds: ttl,
    oauthGrantId: subject.grantId,
  });
  const ctx = clientContext(accountId, client.id, facts);
  await deps.storage.transaction(async (tx) => {
    // Held until the token is registered: a revocation of the grant on any node waits for this,
    // then finds and revokes the token; a grant revoked or narrowed before is refused here.
    await requireGrantStillCovers(tx, accountId, subject.grantId, scopes);
    await registerConnectToken(tx, ctx, record);
  });
  return {
    access_token: token,
    issued_token_type: CONNECT_TOKEN_TYPE,
    token_type: 'Bearer',
    expires_in: ttl,
    scope: scopes.join(' '),
    grant_id: subject.grantId,
  };
}

/** `scope`, when given, narrows the subject token's scopes; it never adds one. */
function askedScopes(param: string | null, held: string[]): string[] {
  if (param === null) return held;
  let asked: string[];
  try {
    asked = parseScopeParam(param);
  } catch (error) {
    throw invalidScope(error instanceof Error ? error.message : 'malformed scope parameter');
  }
  const wider = asked.filter((s) => !held.includes(s));
  if (wider.length > 0) {
    throw invalidScope(
      `a token exchange only narrows: \`${wider.join(' ')}\` is not held by the subject token`,
    );
  }
  return asked;
}

/** The account's Connect server with this id, or else the one with this name (none when several). */
async function serverNamed(
  deps: OAuthDeps,
  accountId: string,
  audience: string,
): Promise<ConnectServerRecord | undefined> {
  if (isId(audience)) {
    const byId = await deps.storage.connectServers.get(accountId, audience);
    if (byId) return byId;
  }
  const named = (await deps.storage.connectServers.list(accountId)).filter((s) => s.name === audience);
  if (named.length > 1) {
    throw invalidTarget(`several Connect servers are named "${audience}": give the server's id`);
  }
  return named[0];
}

/**
 * Per vault the server serves: the permissions the scopes grant there (vault-wide or that
 * vault's), held by the user there today (`manage` holds both), and — for a token issued with
 * RFC 9396 authorization details — allowed there by an entry of the whole vault. A Connect token
 * grants whole vaults, so an entry narrowed to items (or to fields of items) gives it nothing.
 */
async function intersection(
  deps: OAuthDeps,
  userId: string,
  serverId: string,
  scopes: string[],
  details: VaultAuthorizationDetail[] | undefined,
): Promise<ConnectGrant[]> {
  const granted = vaultScopeGrant(scopes);
  // decide()'s own reading of a detail, on the whole vault (no item named).
  const detailed = details === undefined ? undefined : detailGrants(details);
  const byDetails = (vaultId: string, p: 'read' | 'write') =>
    detailed === undefined || detailed.some((d) => detailAllows(d, p, { id: vaultId }));
  const [served, access] = await Promise.all([
    deps.storage.connectServers.vaults(serverId),
    deps.storage.vaultAccess.listForUser(userId),
  ]);
  const held = new Map(access.map((a) => [a.vaultId, new Set(a.permissions)]));
  const grants: ConnectGrant[] = [];
  for (const vaultId of [...served].sort()) {
    const user = held.get(vaultId);
    if (!user) continue;
    const perVault = granted.perVault.get(vaultId);
    const permissions = (['read', 'write'] as const).filter(
      (p: VaultApiPermission) =>
        (granted.everyVault.has(p) || (perVault?.has(p) ?? false)) &&
        (user.has(p) || user.has('manage')) &&
        byDetails(vaultId, p),
    );
    if (permissions.length > 0) grants.push({ vaultId, permissions });
  }
  return grants;
}
