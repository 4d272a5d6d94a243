import { auditUnavailable } from '../../errors/app-error.js';
import type { AuditEventInput, AuditStore } from '../../storage/ports.js';
import type { RequestContext } from '../context.js';
import { bounded, MAX_ID, MAX_IP, MAX_REQUEST_ID, MAX_USER_AGENT } from './bounds.js';

/**
 * What a service says about an event; the request facts come from the context. `count` and
 * `occurredAt` are a refusal summary's (refusal-summaries.ts): every other event stands for
 * one request, made now.
 */
export type AuditFacts = Pick<AuditEventInput, 'action' | 'resourceType' | 'result'> &
  Partial<
    Pick<AuditEventInput, 'resourceId' | 'vaultId' | 'itemId' | 'itemVersion' | 'count' | 'occurredAt'>
  >;

/**
 * Records an audit event, failing closed: if the event cannot be written the caller gets an
 * `audit_unavailable` error and must not release the secret or keep the change. Mutations call
 * this inside their transaction, so the change and its event land together or not at all.
 *
 * Every event is written through here, so this is where what a caller controls is bounded
 * (bounds.ts): however a context was built, no stored attribute exceeds its bound.
 */
export async function recordAudit(
  store: Pick<AuditStore, 'append'>,
  ctx: RequestContext,
  facts: AuditFacts,
): Promise<void> {
  const event = auditEvent(ctx, facts);
  try {
    await store.append(event);
  } catch (cause) {
    throw auditUnavailable(cause);
  }
}

/**
 * The event `recordAudit` writes, for a write that hands its events to storage with its rows
 * (Storage.insertIssuedTokens); the caller fails closed the same way.
 */
export function auditEvent(ctx: RequestContext, facts: AuditFacts): AuditEventInput {
  return {
    occurredAt: facts.occurredAt ?? new Date().toISOString(),
    accountId: bounded(ctx.actor.accountId, MAX_ID),
    actorType: ctx.actor.type,
    actorId: bounded(ctx.actor.id, MAX_ID) ?? '',
    tokenId: bounded(ctx.actor.tokenId, MAX_ID),
    action: facts.action,
    resourceType: facts.resourceType,
    resourceId: bounded(facts.resourceId, MAX_ID),
    vaultId: bounded(facts.vaultId, MAX_ID),
    itemId: bounded(facts.itemId, MAX_ID),
    itemVersion: facts.itemVersion ?? null,
    result: facts.result,
    requestId: bounded(ctx.requestId, MAX_REQUEST_ID),
    ip: bounded(ctx.ip, MAX_IP),
    userAgent: bounded(ctx.userAgent, MAX_USER_AGENT),
    ...(facts.count === undefined ? {} : { count: facts.count }),
  };
}
