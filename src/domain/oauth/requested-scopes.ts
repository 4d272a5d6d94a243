import type { ClientRecord } from '../../storage/ports.js';
import { type Catalog, clientMayRequest, findScope, type ResourceServerInfo } from './catalog.js';
import { didYouMean } from './near-miss.js';
import { invalidRequest, invalidScope, invalidTarget } from './oauth-error.js';
import { isOidcScope, OIDC_RESOURCE } from './oidc-scopes.js';
import { dynamicSegmentIndex, parseScopeParam, quoted } from './scope-names.js';

export interface ScopedRequest {
  resource: ResourceServerInfo;
  scopes: string[];
}

/**
 * Resolves a request's `scope` and `resource` parameters against the catalog and the client's
 * allowance. Strict by design (the seed's lesson): an unknown or disallowed scope is refused with
 * `invalid_scope` and named, never dropped. Every scope must belong to one resource server, which
 * becomes the token's only audience (RFC 8707); `resource`, when given, must name it.
 */
export function resolveScopes(
  catalog: Catalog,
  client: ClientRecord,
  scopeParam: string | null,
  resourceParams: string[],
): ScopedRequest {
  if (resourceParams.length > 1) {
    throw invalidTarget('give one resource: a token is issued for exactly one resource server');
  }
  if (scopeParam === null || scopeParam === '') {
    throw invalidScope('give the scopes you need in `scope` (space-separated)');
  }
  let requested: string[];
  try {
    requested = parseScopeParam(scopeParam);
  } catch (error) {
    throw invalidScope(error instanceof Error ? error.message : 'malformed scope parameter');
  }
  const names = catalog.scopes.map((s) => s.name);
  let resourceId: string | undefined;
  for (const scope of requested) {
    const entry = findScope(catalog, scope);
    if (!entry) throw invalidScope(`unknown scope ${quoted(scope)}${didYouMean(scope, names)}`);
    if (scope === entry.name && isDynamic(scope)) {
      throw invalidScope(`\`${scope}\` is a pattern: request it with its \`*\` filled in`);
    }
    if (!clientMayRequest(client, entry, scope)) {
      throw invalidScope(`client ${client.id} may not request \`${scope}\``);
    }
    // OpenID Connect's scopes go with whichever resource server the others name (oidc-scopes.ts).
    if (isOidcScope(scope)) continue;
    if (resourceId !== undefined && resourceId !== entry.resourceServer) {
      throw invalidScope(
        `\`${scope}\` belongs to ${entry.resourceServer}, the other scopes to ${resourceId}: request one resource server at a time`,
      );
    }
    resourceId = entry.resourceServer;
  }
  const [resourceParam] = resourceParams;
  // Only OpenID Connect scopes: the sign-in resource, or the one `resource` names.
  resourceId ??= resourceParam ?? OIDC_RESOURCE;
  if (resourceParam !== undefined && resourceParam !== resourceId) {
    const known = catalog.resourceServers.some((s) => s.identifier === resourceParam);
    throw known
      ? invalidTarget(`the requested scopes belong to ${resourceId}, not ${resourceParam}`)
      : invalidTarget(`unknown resource ${resourceParam}`);
  }
  const resource = catalog.resourceServers.find((s) => s.identifier === resourceId);
  if (!resource && resourceId === resourceParam) throw invalidTarget(`unknown resource ${resourceParam}`);
  if (!resource) throw invalidRequest(`resource server ${resourceId} is not registered`);
  return { resource, scopes: requested };
}

const isDynamic = (scope: string) => dynamicSegmentIndex(scope) >= 0;

/**
 * RFC 8707 on a code or refresh-token redemption: `resource` may be left out, or name the
 * resource the grant was issued for — never another (a token cannot change its audience).
 */
export function requireSameResource(form: URLSearchParams, resource: string, issuedFor: string): void {
  const params = form.getAll('resource');
  if (params.length > 1 || (params[0] !== undefined && params[0] !== resource)) {
    throw invalidTarget(`the ${issuedFor} was issued for ${resource}`);
  }
}
