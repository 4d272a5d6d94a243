import { notFound } from '../../errors/app-error.js';
import type { GrantRecord, Storage, Stores, VaultAuthorizationDetail } from '../../storage/ports.js';
import { authorizeGrants } from '../access/authorize.js';
import { recordAudit } from '../audit/audit-log.js';
import type { RequestContext } from '../context.js';
import { revokeExchangedConnectTokens } from './exchanged-connect-tokens.js';

/** What a user approved for one client at one resource server, as the admin API and the grants page show it. */
export interface GrantView {
  id: string;
  userId: string;
  clientId: string;
  clientName: string;
  resource: string;
  scopes: string[];
  createdAt: string;
  updatedAt: string;
  /**
   * The authorization details the user approved last (RFC 9396), when the grant was asked with
   * them: its tokens are then narrowed to what one of them allows, within the scopes.
   */
  authorizationDetails?: VaultAuthorizationDetail[];
}

export interface GrantService {
  /**
   * A role with `grants:read` sees every grant of the account (or one user's, with
   * `filter.userId`); any other person sees only their own, whatever the filter says.
   */
  list(ctx: RequestContext, filter?: { userId?: string }): Promise<GrantView[]>;
  /**
   * Deletes a grant, and with it (cascade) its authorization codes, refresh and access tokens.
   * A role with `grants:revoke` may revoke any grant of the account; any other person only
   * their own: another user's grant is `not_found`, so its existence is not revealed.
   */
  revoke(ctx: RequestContext, grantId: string): Promise<void>;
}

export function grantService(storage: Storage): GrantService {
  const notFoundError = (grantId: string) => notFound(`grant ${grantId} not found`);

  return {
    async list(ctx, filter) {
      const own = (await authorizeGrants(storage, ctx, 'grants:read')).userId;
      const accountId = ctx.actor.accountId;
      const userId = own ?? filter?.userId;
      const grants =
        userId === undefined
          ? await storage.grants.listForAccount(accountId)
          : await storage.grants.listForUser(accountId, userId);
      if (grants.length === 0) return [];
      const names = new Map((await storage.clients.list(accountId)).map((c) => [c.id, c.name]));
      return grants.map((g) => view(g, names.get(g.clientId) ?? g.clientId));
    },

    async revoke(ctx, grantId) {
      const own = (await authorizeGrants(storage, ctx, 'grants:revoke')).userId;
      const accountId = ctx.actor.accountId;
      await storage.transaction(async (tx) => {
        const grant = await tx.grants.get(accountId, grantId);
        if (!grant || (own !== undefined && grant.userId !== own)) throw notFoundError(grantId);
        await deleteGrant(tx, ctx, grant);
      });
    },
  };
}

/**
 * Deletes a grant with its codes and tokens (cascade) and the Connect tokens exchanged under it
 * (revoked), and records it, in the caller's transaction: every way a grant is revoked (the admin
 * API, the grants page, the client's grant management call) goes through here. A grant deleted
 * meanwhile is `not_found`.
 */
export async function deleteGrant(
  tx: Pick<Stores, 'grants' | 'audit' | 'connectTokens'>,
  ctx: RequestContext,
  grant: Pick<GrantRecord, 'accountId' | 'id'>,
): Promise<void> {
  await revokeExchangedConnectTokens(tx, { accountId: grant.accountId, grantId: grant.id });
  if (!(await tx.grants.delete(grant.accountId, grant.id))) throw notFound(`grant ${grant.id} not found`);
  await recordAudit(tx.audit, ctx, {
    action: 'DELETE',
    resourceType: 'OAUTH_GRANT',
    resourceId: grant.id,
    result: 'SUCCESS',
  });
}

const view = (g: GrantRecord, clientName: string): GrantView => ({
  id: g.id,
  userId: g.userId,
  clientId: g.clientId,
  clientName,
  resource: g.resource,
  scopes: g.scopes,
  createdAt: g.createdAt,
  updatedAt: g.updatedAt,
  ...(g.authorizationDetails === undefined ? {} : { authorizationDetails: g.authorizationDetails }),
});
