import { invalidInput } from '../../errors/app-error.js';
import type { AuditFilter, Stores } from '../../storage/ports.js';
import { authorizeAccount } from '../access/authorize.js';
import type { RequestContext } from '../context.js';
import { type LabelledAuditEvent, labelActors } from './actor-labels.js';

/** A read of the trail: the filters (times already in stored form, instant.ts) and the page. */
export interface AuditQuery extends AuditFilter {
  /** 1-1000. */
  limit: number;
  /** Only events older than this `seq` (the last one of the previous page). */
  before?: number;
}

/**
 * The caller's account's audit trail, newest first, narrowed by `query`, each event labelled
 * with its actor (actor-labels.ts). Needs `audit:read`; a refusal is itself audited.
 */
export async function queryAudit(
  stores: Pick<Stores, 'audit' | 'actors'>,
  ctx: RequestContext,
  query: AuditQuery,
): Promise<LabelledAuditEvent[]> {
  await authorizeAccount(stores, ctx, 'audit:read');
  const { before, since, until, ...rest } = query;
  if (since !== undefined && until !== undefined && since >= until)
    throw invalidInput(
      `query: since (${since}) must be earlier than until (${until}); the range holds events from since up to, not including, until`,
    );
  const accountId = ctx.actor.accountId;
  const events = await stores.audit.list(accountId, {
    ...rest,
    ...(since === undefined ? {} : { since }),
    ...(until === undefined ? {} : { until }),
    ...(before === undefined ? {} : { beforeSeq: before }),
  });
  return labelActors(stores.actors, accountId, events);
}
