import { isId } from '../crypto/ids.js';
import { type AuditFacts, recordAudit } from '../domain/audit/audit-log.js';
import type { RefusalSummaries } from '../domain/audit/refusal-summaries.js';
import type { RequestContext } from '../domain/context.js';
import type { AuditStore } from '../storage/ports.js';
import type { ConnectCall } from './central/central-client.js';
import type { Target } from './central/vault-operations.js';

/**
 * Records the refusal of a call's token in the server's account: a DENY naming the token's jti
 * when it has a readable one. Past a handful a minute from one source, refusals are counted into
 * a summary event instead of written one by one (domain/audit/refusal-summaries.ts): a refused
 * caller is not authenticated, and must not be able to grow the trail at will. Shared with the
 * standalone node (node/node-reads.ts), which records into its outbox, and the central service
 * (central/in-process-client.ts).
 */
export async function auditRefusal(
  sinks: { audit: Pick<AuditStore, 'append'>; refusals: Pick<RefusalSummaries, 'admit'> },
  server: { accountId: string; serverId: string },
  call: ConnectCall,
  target: Target,
): Promise<void> {
  const { accountId, serverId } = server;
  const jti = readableJti(call.token);
  const ctx: RequestContext = {
    actor: { type: 'connect_token', id: jti ?? 'unknown', accountId, tokenId: jti },
    principal: { kind: 'connect', accountId, serverId, grants: new Map(), serverVaults: new Set() },
    requestId: call.requestId,
    ip: call.ip,
    userAgent: call.userAgent,
  };
  const facts: AuditFacts = {
    action: target.action,
    resourceType: target.type,
    vaultId: target.vaultId ?? null,
    itemId: target.itemId ?? null,
    result: 'DENY',
  };
  if (sinks.refusals.admit(ctx, facts)) await recordAudit(sinks.audit, ctx, facts);
}

/** The `jti` of a JWT-shaped string, unverified (only to name it in an audit event), or null. */
function readableJti(token: string): string | null {
  const payload = token.split('.')[1];
  if (!payload) return null;
  try {
    const jti = (JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { jti?: unknown }).jti;
    return typeof jti === 'string' && isId(jti) ? jti : null;
  } catch {
    return null;
  }
}
