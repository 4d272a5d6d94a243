import type { ClientRecord, Storage, Stores } from '../../storage/ports.js';
import type { CatalogClient, CatalogInput, CatalogResourceServer, CatalogScope } from './catalog-lint.js';
import { isCliClient } from './cli-client.js';
import { OIDC_RESOURCE, OIDC_RESOURCE_NAME, OIDC_SCOPES, OIDC_TOKEN_TTL } from './oidc-scopes.js';
import { scopeMatches } from './scope-names.js';
import {
  broaderVaultScope,
  VAULT_API_NAME,
  VAULT_API_RESOURCE,
  VAULT_API_SCOPES,
  VAULT_API_TOKEN_TTL,
} from './vault-api.js';

/** A resource server as the token endpoint needs it: where tokens go and in which format. */
export interface ResourceServerInfo {
  identifier: string;
  name: string;
  tokenFormat: 'opaque' | 'jwt';
  accessTokenTtl: number;
  builtIn: boolean;
}

export interface Catalog {
  resourceServers: ResourceServerInfo[];
  scopes: CatalogScope[];
}

const VAULT_API: ResourceServerInfo = {
  identifier: VAULT_API_RESOURCE,
  name: VAULT_API_NAME,
  tokenFormat: 'opaque',
  accessTokenTtl: VAULT_API_TOKEN_TTL,
  builtIn: true,
};

const OPENID: ResourceServerInfo = {
  identifier: OIDC_RESOURCE,
  name: OIDC_RESOURCE_NAME,
  tokenFormat: 'opaque',
  accessTokenTtl: OIDC_TOKEN_TTL,
  builtIn: true,
};

/**
 * An account's scope catalog: the built-in vault API and every registered resource server, with
 * their scopes. Read per request (a handful of rows), so a registration change applies at once.
 */
export async function loadCatalog(
  stores: Pick<Stores, 'resourceServers'>,
  accountId: string,
): Promise<Catalog> {
  const servers = await stores.resourceServers.list(accountId);
  const byId = new Map(servers.map((s) => [s.id, s.identifier]));
  const scopes: CatalogScope[] = [
    ...VAULT_API_SCOPES.map((s) => ({ ...s, resourceServer: VAULT_API_RESOURCE })),
    ...OIDC_SCOPES.map((s) => ({ ...s, resourceServer: OIDC_RESOURCE })),
  ];
  for (const scope of await stores.resourceServers.scopes(accountId)) {
    scopes.push({
      name: scope.name,
      description: scope.description,
      exclusive: scope.exclusive,
      resourceServer: byId.get(scope.resourceServerId) ?? scope.resourceServerId,
    });
  }
  return {
    resourceServers: [
      VAULT_API,
      OPENID,
      ...servers.map((s) => ({
        identifier: s.identifier,
        name: s.name,
        tokenFormat: s.tokenFormat,
        accessTokenTtl: s.accessTokenTtl,
        builtIn: false,
      })),
    ],
    scopes,
  };
}

/**
 * The catalogs the token endpoint reads on every request, kept in memory between registry
 * changes: every resource server registration or deletion (and account deletion) announces a
 * `catalog` change, which the change feed delivers once it has committed — on the writing node
 * before the writing call returns, on every other node as soon as it is known (within a second;
 * ports/changes.ts) — and each delivery empties this cache. A catalog being read when one arrives
 * is not kept either. Registration checks always read the database, never this cache.
 */
export class CatalogCache {
  readonly #stores: Pick<Stores, 'resourceServers'>;
  readonly #catalogs = new Map<string, Promise<Catalog>>();

  constructor(storage: Pick<Storage, 'resourceServers' | 'changes'>) {
    this.#stores = storage;
    storage.changes.subscribe((topics) => {
      if (topics.has('catalog')) this.#catalogs.clear();
    });
  }

  get(accountId: string): Promise<Catalog> {
    let catalog = this.#catalogs.get(accountId);
    if (!catalog) {
      const loading = loadCatalog(this.#stores, accountId);
      this.#catalogs.set(accountId, loading);
      // A failed read is not remembered.
      loading.catch(() => {
        if (this.#catalogs.get(accountId) === loading) this.#catalogs.delete(accountId);
      });
      catalog = loading;
    }
    return catalog;
  }
}

/** The catalog scope a requested scope is an instance of, if any. */
export function findScope(catalog: Catalog, requested: string): CatalogScope | undefined {
  return (
    catalog.scopes.find((s) => s.name === requested) ??
    catalog.scopes.find((s) => scopeMatches(s.name, requested))
  );
}

/**
 * Whether a client may ask for a scope: a client registered with scopes may ask for exactly
 * those (or instances of its dynamic ones); a client registered without any may ask for every
 * common scope, never an exclusive one.
 */
export function clientMayRequest(client: ClientRecord, scope: CatalogScope, requested: string): boolean {
  if (client.scopes.length === 0) return !scope.exclusive;
  const broader = scope.resourceServer === VAULT_API_RESOURCE ? broaderVaultScope(requested) : undefined;
  return client.scopes.some(
    (allowed) => scopeMatches(allowed, requested) || (broader !== undefined && allowed === broader),
  );
}

/** The catalog in the shape `lintCatalog` reads. */
export function lintInput(catalog: Catalog, clients: ClientRecord[]): CatalogInput {
  const resourceServers: CatalogResourceServer[] = catalog.resourceServers.map((s) => ({
    identifier: s.identifier,
    name: s.name,
  }));
  // The built-in CLI client's one scope is outside the catalog, by design (cli-client.ts).
  const lintClients: CatalogClient[] = clients
    .filter((c) => !isCliClient(c))
    .map((c) => ({
      clientId: c.id,
      name: c.name,
      scopes: c.scopes,
      redirectUris: c.redirectUris,
      grantTypes: c.grantTypes,
    }));
  return { scopes: catalog.scopes, resourceServers, clients: lintClients };
}
