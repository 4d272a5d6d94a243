import type { ClientRecord } from '../../storage/ports.js';
import { type CallFacts, clientContext, type OAuthDeps } from './context.js';
import { invalidScope } from './oauth-error.js';
import { resolveScopes } from './requested-scopes.js';
import { mintTokens, registerTokens, type TokenResponse } from './token-issuer.js';
import { VAULT_API_RESOURCE } from './vault-api.js';

/** RFC 6749 §4.4: the client acts for itself. No refresh token: it can always ask again. */
export async function issueClientCredentials(
  deps: OAuthDeps,
  client: ClientRecord,
  facts: CallFacts,
): Promise<TokenResponse> {
  const catalog = await deps.catalogs.get(client.accountId);
  const { resource, scopes } = resolveScopes(
    catalog,
    client,
    facts.form.get('scope'),
    facts.form.getAll('resource'),
  );
  if (resource.identifier === VAULT_API_RESOURCE) {
    throw invalidScope('vault scopes act for a user: use the authorization_code grant');
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
  });
  return deps.storage.transaction((tx) => registerTokens(tx, ctx, minted));
}
