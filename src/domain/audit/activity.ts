import type { AuditEvent, Stores } from '../../storage/ports.js';
import type { RequestContext } from '../context.js';

/** One page of `/v1/activity`, newest first, with the total for paging. */
export type ActivityPage = { events: AuditEvent[]; total: number };

/**
 * The activity of a user vault API token: the events made with that very token, none of its
 * user's other tokens or sessions. The vault API mounts no `/v1/activity` route (vault-api.ts),
 * so this only completes its operations; were the route mounted, this is what it would page.
 */
export function tokenActivity(
  stores: Pick<Stores, 'audit'>,
  ctx: RequestContext,
  page: { limit: number; offset: number },
): Promise<ActivityPage> {
  return stores.audit.listByTokens(ctx.actor.accountId, ctx.actor.tokenId ? [ctx.actor.tokenId] : [], page);
}

/** What a Connect server's caller sees at `/v1/activity`: the events of every token of that server. */
export async function connectServerActivity(
  stores: Pick<Stores, 'audit' | 'connectTokens'>,
  serverId: string,
  ctx: RequestContext,
  page: { limit: number; offset: number },
): Promise<ActivityPage> {
  const tokenIds = (await stores.connectTokens.list(serverId)).map((t) => t.id);
  return stores.audit.listByTokens(ctx.actor.accountId, tokenIds, page);
}
