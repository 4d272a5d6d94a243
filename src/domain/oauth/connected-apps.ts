import { forbidden } from '../../errors/app-error.js';
import type { Stores } from '../../storage/ports.js';
import type { RequestContext } from '../context.js';
import type { VaultService } from '../vaults/vault-service.js';
import { findScope, loadCatalog } from './catalog.js';
import { inWords as detailInWords } from './consent-details.js';
import type { GrantService } from './grant-service.js';
import { REFRESH_TOKEN_TTL } from './token-issuer.js';
import { PER_VAULT_SCOPE, VAULT_WIDE_SCOPE } from './vault-api.js';

/** One scope of a grant, in words. */
export interface ConnectedAccess {
  scope: string;
  /** What the application can do with it, in a sentence (vault names, and what "read" includes). */
  words: string;
  /** The vault a one-vault scope is about; `name` is null when the user can no longer see it. */
  vault: { id: string; name: string | null } | null;
  /** For the vault API: `read` or `write`; null for another resource server's scope. */
  permission: 'read' | 'write' | null;
}

/** What a signed-in person sees of one application they connected (one grant). */
export interface ConnectedApplication {
  /** The grant's id: what revoking deletes. */
  id: string;
  clientId: string;
  clientName: string;
  resource: string;
  /** The resource server's name, as the consent page showed it. */
  resourceName: string;
  access: ConnectedAccess[];
  /**
   * When the user approved authorization details (RFC 9396): each entry in words, as the consent
   * page said it (items and fields by their ids). The application reaches only what one of them
   * allows, within `access`. Null when the grant is not narrowed.
   */
  narrowedTo: string[] | null;
  createdAt: string;
  /** The last time the user approved it again (more or fewer scopes). */
  updatedAt: string;
  /** When the application last got a token under this grant (a code or a refresh), if known. */
  lastUsedAt: string | null;
  /** How long each access token lasts, in seconds. */
  accessTokenTtl: number;
  /** How long a refresh token lasts unused, in seconds: using it gets a new one; past it, the app asks the user again. */
  refreshTokenTtl: number;
}

/** What "read" of the vault API includes, said on the consent page and wherever a grant is shown. */
export const READ_INCLUDES = 'read includes passwords and other secret values';

/**
 * One scope in words for its user: vault scopes name the vault (or say "every vault you can
 * open") and say what reading includes; any other scope is its catalog description.
 */
export function scopeInWords(
  scope: string,
  description: string,
  vaultName: (vaultId: string) => string | null,
): ConnectedAccess {
  const one = PER_VAULT_SCOPE.exec(scope);
  const wide = VAULT_WIDE_SCOPE.exec(scope);
  const permission = (one?.[2] ?? wide?.[1] ?? null) as 'read' | 'write' | null;
  if (permission === null) return { scope, words: description || scope, vault: null, permission };
  const vault = one ? { id: one[1] as string, name: vaultName(one[1] as string) } : null;
  const where = vault
    ? vault.name === null
      ? 'a vault you can no longer see'
      : vault.name
    : 'every vault you can open';
  const words =
    permission === 'read'
      ? `Read the items in ${where} (${READ_INCLUDES})`
      : `Create, change and delete items in ${where}`;
  return { scope, words, vault, permission };
}

/**
 * The signed-in user's own grants, described: "Connected applications". Only a person has
 * grants of their own (an admin token is refused); which grants are theirs is decided by the
 * grant service (authorizeGrants, through decide()).
 */
export async function connectedApplications(
  deps: {
    storage: Pick<Stores, 'resourceServers' | 'oauthTokens'>;
    grants: Pick<GrantService, 'list'>;
    vaults: Pick<VaultService, 'list'>;
  },
  ctx: RequestContext,
): Promise<ConnectedApplication[]> {
  const { principal } = ctx;
  if (principal.kind !== 'user') {
    throw forbidden('only a signed-in person has connected applications: an admin token has none');
  }
  const grants = await deps.grants.list(ctx, { userId: principal.userId });
  if (grants.length === 0) return [];
  const [catalog, vaults, lastUsed] = await Promise.all([
    loadCatalog(deps.storage, ctx.actor.accountId),
    deps.vaults.list(ctx),
    deps.storage.oauthTokens.lastIssuedByGrant(grants.map((g) => g.id)),
  ]);
  const names = new Map(vaults.map((v) => [v.id, v.name]));
  return grants.map((g) => {
    const server = catalog.resourceServers.find((s) => s.identifier === g.resource);
    return {
      id: g.id,
      clientId: g.clientId,
      clientName: g.clientName,
      resource: g.resource,
      resourceName: server?.name ?? g.resource,
      access: g.scopes.map((scope) =>
        scopeInWords(scope, findScope(catalog, scope)?.description ?? '', (id) => names.get(id) ?? null),
      ),
      narrowedTo:
        g.authorizationDetails?.map((d) =>
          detailInWords(
            d.actions,
            d.vaults.map((id) => names.get(id) ?? id),
            d.items,
            d.fields,
          ),
        ) ?? null,
      createdAt: g.createdAt,
      updatedAt: g.updatedAt,
      lastUsedAt: lastUsed.get(g.id) ?? null,
      accessTokenTtl: server?.accessTokenTtl ?? 3600,
      refreshTokenTtl: REFRESH_TOKEN_TTL,
    };
  });
}
