import type { AuditEvent, Stores } from '../../storage/ports.js';
import { authorizeAccount } from '../access/authorize.js';
import type { RequestContext } from '../context.js';

/** The account's audit trail, newest first; `beforeSeq` pages with the `seq` of the last event seen. */
export async function listAudit(
  stores: Pick<Stores, 'audit'>,
  ctx: RequestContext,
  options: { limit: number; beforeSeq?: number },
): Promise<AuditEvent[]> {
  await authorizeAccount(stores, ctx, 'audit:read');
  return stores.audit.list(ctx.actor.accountId, options);
}
