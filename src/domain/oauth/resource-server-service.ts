import { newId } from '../../crypto/ids.js';
import { hashSecret, newBearerSecret } from '../../crypto/secrets.js';
import { conflict, invalidInput, notFound } from '../../errors/app-error.js';
import type { AccessTokenFormat, ResourceServerRecord, ScopeRecord, Storage } from '../../storage/ports.js';
import { authorizeAccount } from '../access/authorize.js';
import { recordAudit } from '../audit/audit-log.js';
import type { RequestContext } from '../context.js';
import { clientMayRequest, findScope, loadCatalog } from './catalog.js';
import { ADMIN_API_RESOURCE } from './cli-client.js';
import { OIDC_RESOURCE } from './oidc-scopes.js';
import { parseScopeName } from './scope-names.js';
import { VAULT_API_RESOURCE } from './vault-api.js';

export interface ResourceServerInput {
  identifier: string;
  name: string;
  scopes: { name: string; description: string; exclusive: boolean }[];
  tokenFormat: AccessTokenFormat;
  accessTokenTtl: number;
}

export interface ResourceServerView {
  id: string | null;
  identifier: string;
  name: string;
  tokenFormat: AccessTokenFormat;
  accessTokenTtl: number;
  builtIn: boolean;
  scopes: { name: string; description: string; exclusive: boolean }[];
  createdAt: string | null;
}

export interface ResourceServerService {
  /** Registers a resource server and its scopes; the introspection secret is returned once. */
  create(ctx: RequestContext, input: ResourceServerInput): Promise<ResourceServerView & { secret: string }>;
  /** The built-in vault API first, then the registered ones. */
  list(ctx: RequestContext): Promise<ResourceServerView[]>;
  delete(ctx: RequestContext, id: string): Promise<void>;
  /** The resource server an introspection secret belongs to, or undefined. */
  authenticate(secret: string): Promise<ResourceServerRecord | undefined>;
}

export const RESOURCE_SERVER_SECRET_PREFIX = 'khrs';
const RESOURCE_SERVER_SECRET_PATTERN = /^khrs_[A-Za-z0-9_-]{43}$/;

export function resourceServerService(storage: Storage): ResourceServerService {
  /** Refuses a scope that is taken, or that differs only in case from one that exists. */
  const checkNewScopes = async (accountId: string, input: ResourceServerInput) => {
    const catalog = await loadCatalog(storage, accountId);
    const seen = new Set<string>();
    for (const scope of input.scopes) {
      parseScopeName(scope.name);
      if (seen.has(scope.name)) throw invalidInput(`scope \`${scope.name}\` is listed twice`);
      seen.add(scope.name);
      const taken = catalog.scopes.find((s) => s.name.toLowerCase() === scope.name.toLowerCase());
      if (taken?.name === scope.name) {
        throw conflict(
          `scope \`${scope.name}\` is already defined by resource server ${taken.resourceServer}`,
        );
      }
      if (taken) {
        throw invalidInput(
          `scope \`${scope.name}\` differs only in case from \`${taken.name}\` of ${taken.resourceServer}: scopes are case-sensitive, so both would exist and be confused; use \`${taken.name}\` or another name`,
        );
      }
    }
  };

  const view = (s: ResourceServerRecord, scopes: ScopeRecord[]): ResourceServerView => ({
    id: s.id,
    identifier: s.identifier,
    name: s.name,
    tokenFormat: s.tokenFormat,
    accessTokenTtl: s.accessTokenTtl,
    builtIn: false,
    scopes: scopes
      .filter((x) => x.resourceServerId === s.id)
      .map((x) => ({ name: x.name, description: x.description, exclusive: x.exclusive })),
    createdAt: s.createdAt,
  });

  return {
    async create(ctx, input) {
      await authorizeAccount(storage, ctx, 'oauth:write', {
        denied: { action: 'CREATE', resourceType: 'RESOURCE_SERVER' },
      });
      const accountId = ctx.actor.accountId;
      checkIdentifier(input.identifier);
      if (input.identifier === VAULT_API_RESOURCE) {
        throw conflict(`${VAULT_API_RESOURCE} is the built-in vault API; choose another identifier`);
      }
      if (input.identifier === OIDC_RESOURCE) {
        throw conflict(`${OIDC_RESOURCE} is the built-in OpenID Connect sign-in; choose another identifier`);
      }
      if (input.identifier === ADMIN_API_RESOURCE) {
        throw conflict(`${ADMIN_API_RESOURCE} is the built-in admin API; choose another identifier`);
      }
      if (await storage.resourceServers.findByIdentifier(accountId, input.identifier)) {
        throw conflict(`a resource server ${input.identifier} is already registered`);
      }
      await checkNewScopes(accountId, input);
      const secret = newBearerSecret(RESOURCE_SERVER_SECRET_PREFIX);
      const now = new Date().toISOString();
      const server: ResourceServerRecord = {
        id: newId(),
        accountId,
        identifier: input.identifier,
        name: input.name,
        tokenFormat: input.tokenFormat,
        accessTokenTtl: input.accessTokenTtl,
        secretHash: hashSecret(secret),
        createdAt: now,
      };
      const scopes: ScopeRecord[] = input.scopes.map((s) => ({
        accountId,
        name: s.name,
        resourceServerId: server.id,
        description: s.description,
        exclusive: s.exclusive,
        createdAt: now,
      }));
      await storage.transaction(async (tx) => {
        await tx.resourceServers.insert(server, scopes);
        await recordAudit(tx.audit, ctx, {
          action: 'CREATE',
          resourceType: 'RESOURCE_SERVER',
          resourceId: server.id,
          result: 'SUCCESS',
        });
      });
      return { ...view(server, scopes), secret };
    },

    async list(ctx) {
      await authorizeAccount(storage, ctx, 'oauth:read', { denied: { resourceType: 'RESOURCE_SERVER' } });
      const accountId = ctx.actor.accountId;
      const catalog = await loadCatalog(storage, accountId);
      const builtIn = catalog.resourceServers.filter((s) => s.builtIn);
      const scopes = await storage.resourceServers.scopes(accountId);
      return [
        ...builtIn.map((s) => ({
          id: null,
          identifier: s.identifier,
          name: s.name,
          tokenFormat: s.tokenFormat,
          accessTokenTtl: s.accessTokenTtl,
          builtIn: true,
          scopes: catalog.scopes
            .filter((x) => x.resourceServer === s.identifier)
            .map((x) => ({ name: x.name, description: x.description, exclusive: x.exclusive })),
          createdAt: null,
        })),
        ...(await storage.resourceServers.list(accountId)).map((s) => view(s, scopes)),
      ];
    },

    async delete(ctx, id) {
      await authorizeAccount(storage, ctx, 'oauth:write', {
        denied: { action: 'DELETE', resourceType: 'RESOURCE_SERVER', resourceId: id },
      });
      const accountId = ctx.actor.accountId;
      const server = await storage.resourceServers.get(accountId, id);
      if (!server) throw notFound(`resource server ${id} not found`);
      // Deleting scopes a client still lists would recreate the seed's lockout from the other
      // side: refuse, and name the clients to change first.
      const catalog = await loadCatalog(storage, accountId);
      const clients = await storage.clients.list(accountId);
      for (const client of clients) {
        for (const requested of client.scopes) {
          const scope = findScope(catalog, requested);
          if (scope?.resourceServer === server.identifier && clientMayRequest(client, scope, requested)) {
            throw conflict(
              `client ${client.id} (${client.name}) may request \`${requested}\` of this resource server; remove the scope from the client (or delete the client) first`,
            );
          }
        }
      }
      await storage.transaction(async (tx) => {
        await tx.resourceServers.delete(accountId, id);
        await recordAudit(tx.audit, ctx, {
          action: 'DELETE',
          resourceType: 'RESOURCE_SERVER',
          resourceId: id,
          result: 'SUCCESS',
        });
      });
    },

    async authenticate(secret) {
      if (!RESOURCE_SERVER_SECRET_PATTERN.test(secret)) return undefined;
      return storage.resourceServers.findBySecretHash(hashSecret(secret));
    },
  };
}

/** RFC 8707 §2: a resource indicator is an absolute URI without a fragment. */
function checkIdentifier(identifier: string): void {
  if (!URL.canParse(identifier) || identifier.includes('#') || /\s/.test(identifier)) {
    throw invalidInput(
      `identifier ${JSON.stringify(identifier)} is not an absolute URI without a fragment (RFC 8707), e.g. https://api.example.com`,
    );
  }
}
