import { didYouMean, nearMiss, osaDistance } from './near-miss.js';
import { redirectUriProblem } from './redirect-uris.js';
import { quoted, scopeMatches } from './scope-names.js';

/**
 * `keyhold scopes check`: compares the three registries (catalog scopes, resource servers,
 * clients) and reports what would make a login fail or a registration be a mistake. This is the
 * lint that would have caught the seed's lockout (a client allowed `Vault:Read` against a
 * catalog defining `vault:read`) before anyone tried to log in.
 */

/** A scope of the catalog, owned by the resource server with identifier `resourceServer`. */
export interface CatalogScope {
  name: string;
  description: string;
  /** Only clients explicitly allowed it may ask for it. */
  exclusive: boolean;
  /** Identifier URI of the resource server the scope belongs to. */
  resourceServer: string;
}

export interface CatalogResourceServer {
  identifier: string;
  name: string;
}

export interface CatalogClient {
  clientId: string;
  name: string;
  /** Scopes the client is allowed: catalog names, or instances of dynamic ones. */
  scopes: string[];
  redirectUris: string[];
  grantTypes: string[];
}

export interface CatalogInput {
  scopes: CatalogScope[];
  resourceServers: CatalogResourceServer[];
  clients: CatalogClient[];
}

/** The stable problem codes, errors first. */
export type CatalogProblemCode =
  | 'client_scope_unknown'
  | 'scope_case_collision'
  | 'scope_without_resource_server'
  | 'redirect_uri_invalid'
  | 'scope_near_duplicate'
  | 'exclusive_scope_unused'
  | 'resource_server_without_scopes'
  | 'client_without_scopes';

/** `error`: something will fail or is refused. `warning`: probably a mistake, works as written. */
export type Severity = 'error' | 'warning';

/** One finding. `code` is stable (scripts and tests match it); `subject` is the id to fix. */
export interface CatalogProblem {
  severity: Severity;
  /** One of {@link CatalogProblemCode}. */
  code: string;
  /** The client id, scope name or resource server identifier the problem is about. */
  subject: string;
  message: string;
  /** For `client_scope_unknown`: the catalog scope the client probably meant. */
  suggestion?: string;
}

/**
 * Lints the catalog. Returns every problem, errors first, then by subject, code and message
 * (code-unit order, so the output does not depend on the locale).
 */
export function lintCatalog(input: CatalogInput): CatalogProblem[] {
  return [...scopeProblems(input), ...clientProblems(input), ...resourceServerProblems(input)].sort(
    byPriority,
  );
}

function scopeProblems({ scopes, resourceServers, clients }: CatalogInput): CatalogProblem[] {
  const problems: CatalogProblem[] = [];
  const servers = new Set(resourceServers.map((s) => s.identifier));
  const allowed = clients.flatMap((c) => c.scopes);
  for (const [index, scope] of scopes.entries()) {
    const name = quoted(scope.name);
    if (!servers.has(scope.resourceServer)) {
      problems.push(
        error(
          'scope_without_resource_server',
          scope.name,
          `Scope ${name} belongs to resource server ${quoted(scope.resourceServer)}, which is not registered`,
        ),
      );
    }
    // Each scope is compared with the earlier ones only, so a pair is reported once.
    const earlier = scopes.slice(0, index);
    const folded = scope.name.toLowerCase();
    const twin = earlier.find((other) => other.name.toLowerCase() === folded);
    if (twin !== undefined) {
      problems.push(
        error(
          'scope_case_collision',
          scope.name,
          twin.name === scope.name
            ? `Scope ${name} is defined twice (by ${quoted(twin.resourceServer)} and ` +
                `${quoted(scope.resourceServer)}); scope names must be unique`
            : `Scope ${name} differs from scope ${quoted(twin.name)} only in case; scopes are ` +
                'case-sensitive, so clients will ask for one when they mean the other',
        ),
      );
    } else {
      const near = earlier.find((other) => osaDistance(other.name.toLowerCase(), folded) === 1);
      if (near !== undefined) {
        problems.push(
          warning(
            'scope_near_duplicate',
            scope.name,
            `Scope ${name} is one edit away from scope ${quoted(near.name)}; a client that asks for ` +
              'one may have meant the other',
          ),
        );
      }
    }
    if (scope.exclusive && !allowed.some((s) => scopeMatches(scope.name, s))) {
      problems.push(
        warning(
          'exclusive_scope_unused',
          scope.name,
          `Exclusive scope ${name} is allowed to no client, so no one can obtain it; allow it to ` +
            'a client, make it common, or remove it',
        ),
      );
    }
  }
  return problems;
}

function clientProblems({ scopes, clients }: CatalogInput): CatalogProblem[] {
  const problems: CatalogProblem[] = [];
  const names = scopes.map((s) => s.name);
  for (const client of clients) {
    const id = quoted(client.clientId);
    if (client.scopes.length === 0) {
      problems.push(
        warning(
          'client_without_scopes',
          client.clientId,
          `Client ${id} is allowed no scopes, so it may request every common scope; list the scopes it needs`,
        ),
      );
    }
    for (const scope of new Set(client.scopes)) {
      if (names.some((name) => scopeMatches(name, scope))) continue;
      const suggestion = nearMiss(scope, names);
      problems.push({
        ...error(
          'client_scope_unknown',
          client.clientId,
          `Client ${id} may request ${quoted(scope)}, which no resource server defines${didYouMean(scope, names)}`,
        ),
        ...(suggestion === undefined ? {} : { suggestion }),
      });
    }
    for (const uri of new Set(client.redirectUris)) {
      const problem = redirectUriProblem(uri);
      if (problem === undefined) continue;
      problems.push(
        error(
          'redirect_uri_invalid',
          client.clientId,
          `Client ${id} has redirect URI ${quoted(uri)}, which would be refused: ${problem}`,
        ),
      );
    }
  }
  return problems;
}

function resourceServerProblems({ scopes, resourceServers }: CatalogInput): CatalogProblem[] {
  const used = new Set(scopes.map((s) => s.resourceServer));
  return resourceServers
    .filter((server) => !used.has(server.identifier))
    .map((server) =>
      warning(
        'resource_server_without_scopes',
        server.identifier,
        `Resource server ${quoted(server.name)} (${quoted(server.identifier)}) defines no scopes, ` +
          'so no token can be issued for it',
      ),
    );
}

const error = (code: CatalogProblemCode, subject: string, message: string): CatalogProblem => ({
  severity: 'error',
  code,
  subject,
  message,
});

const warning = (code: CatalogProblemCode, subject: string, message: string): CatalogProblem => ({
  severity: 'warning',
  code,
  subject,
  message,
});

const SEVERITY_ORDER: Record<Severity, number> = { error: 0, warning: 1 };

function byPriority(a: CatalogProblem, b: CatalogProblem): number {
  return (
    SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity] ||
    compare(a.subject, b.subject) ||
    compare(a.code, b.code) ||
    compare(a.message, b.message)
  );
}

const compare = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
