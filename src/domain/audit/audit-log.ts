import { auditUnavailable } from '../../errors/app-error.js';
import type { AuditEventInput, AuditStore } from '../../storage/ports.js';
import type { RequestContext } from '../context.js';

/** What a service says about an event; the request facts come from the context. */
export type AuditFacts = Pick<AuditEventInput, 'action' | 'resourceType' | 'result'> &
  Partial<Pick<AuditEventInput, 'resourceId' | 'vaultId' | 'itemId' | 'itemVersion'>>;

/**
 * Records an audit event, failing closed: if the event cannot be written the caller gets an
 * `audit_unavailable` error and must not release the secret or keep the change. Mutations call
 * this inside their transaction, so the change and its event land together or not at all.
 */
export async function recordAudit(store: AuditStore, ctx: RequestContext, facts: AuditFacts): Promise<void> {
  const event: AuditEventInput = {
    occurredAt: new Date().toISOString(),
    accountId: ctx.actor.accountId,
    actorType: ctx.actor.type,
    actorId: ctx.actor.id,
    tokenId: ctx.actor.tokenId,
    action: facts.action,
    resourceType: facts.resourceType,
    resourceId: facts.resourceId ?? null,
    vaultId: facts.vaultId ?? null,
    itemId: facts.itemId ?? null,
    itemVersion: facts.itemVersion ?? null,
    result: facts.result,
    requestId: ctx.requestId,
    ip: ctx.ip,
    userAgent: ctx.userAgent,
  };
  try {
    await store.append(event);
  } catch (cause) {
    throw auditUnavailable(cause);
  }
}
