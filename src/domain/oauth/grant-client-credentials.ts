import type { ClientRecord } from '../../storage/ports.js';
import { parseAuthorizationDetails } from './authorization-details.js';
import type { Catalog } from './catalog.js';
import { type CallFacts, clientContext, type OAuthDeps } from './context.js';
import { invalidAuthorizationDetails, invalidRequest, invalidScope, OAuthError } from './oauth-error.js';
import { isOidcScope, OIDC_RESOURCE } from './oidc-scopes.js';
import { resolveScopes } from './requested-scopes.js';
import { mintTokens, registerIssuedTokens, type TokenResponse } from './token-issuer.js';
import { VAULT_API_RESOURCE } from './vault-api.js';

/** RFC 6749 §4.4: the client acts for itself. No refresh token: it can always ask again. */
export async function issueClientCredentials(
  deps: OAuthDeps,
  client: ClientRecord,
  facts: CallFacts,
  jkt: string | null,
): Promise<TokenResponse> {
  refuseAuthorizationDetails(facts.form);
  const catalog = await deps.catalogs.get(client.accountId);
  const resources = facts.form.getAll('resource');
  const asked = facts.form.get('scope');
  const { resource, scopes } = resolveScopes(
    catalog,
    client,
    asked === null || asked === '' ? registeredScopes(catalog, client, resources) : asked,
    resources,
  );
  if (resource.identifier === VAULT_API_RESOURCE) {
    throw invalidScope('vault scopes act for a user: use the authorization_code grant');
  }
  if (scopes.some(isOidcScope)) {
    throw invalidScope('openid, profile and email sign a user in: use the authorization_code grant');
  }
  const ctx = clientContext(client.accountId, client.id, facts);
  const minted = await mintTokens(deps.keys, {
    issuer: deps.issuer(client.accountId),
    client,
    userId: null,
    grantId: null,
    codeId: null,
    resource,
    scopes,
    withRefreshToken: false,
    jkt,
  });
  return registerIssuedTokens(deps.storage, ctx, minted);
}

/**
 * RFC 9396 §6: details may come with a client credentials request, but the one type this server
 * knows, `keyhold_vault`, acts for a user. Validated first, so a malformed one is named as such.
 */
function refuseAuthorizationDetails(form: URLSearchParams): void {
  const raw = form.getAll('authorization_details');
  if (raw.length === 0) return;
  if (raw.length > 1) throw invalidRequest('parameter authorization_details is repeated');
  const details = parseAuthorizationDetails(raw[0] as string);
  if (details instanceof OAuthError) throw details;
  throw invalidAuthorizationDetails(
    'keyhold_vault authorization details act for a user: use the authorization_code grant',
  );
}

/**
 * The scopes a client credentials request without `scope` gets: the client's registered scopes
 * (of the resource server `resource` names, when it names one), all of them fixed names of one
 * resource server, since a token has one audience. Where that does not single out a set, the
 * request must say what it wants; `null` lets resolveScopes refuse it in its own words.
 */
function registeredScopes(catalog: Catalog, client: ClientRecord, resources: string[]): string | null {
  const [named] = resources;
  const owned = client.scopes
    .filter((name) => !name.includes('*'))
    .map((name) => ({ name, server: catalog.scopes.find((s) => s.name === name)?.resourceServer }))
    .filter((s) => s.server !== undefined && s.server !== VAULT_API_RESOURCE && s.server !== OIDC_RESOURCE)
    .filter((s) => named === undefined || s.server === named);
  const servers = new Set(owned.map((s) => s.server));
  if (owned.length === 0) return null;
  if (servers.size > 1) {
    throw invalidScope(
      `client ${client.id} is registered for scopes of several resource servers (${[...servers].join(', ')}): give \`scope\` or \`resource\``,
    );
  }
  return owned.map((s) => s.name).join(' ');
}
