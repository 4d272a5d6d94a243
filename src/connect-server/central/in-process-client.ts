import { isId } from '../../crypto/ids.js';
import { connectServerActivity } from '../../domain/audit/activity.js';
import { type AuditFacts, recordAudit } from '../../domain/audit/audit-log.js';
import type { RefusalSummaries } from '../../domain/audit/refusal-summaries.js';
import type { RequestContext } from '../../domain/context.js';
import { isAppError } from '../../errors/app-error.js';
import type { Services } from '../../services.js';
import type { AuditStore } from '../../storage/ports.js';
import type { CentralClient, ConnectCall } from './central-client.js';
import { type Target, vaultOperations } from './vault-operations.js';

/**
 * The central service called directly, for Connect servers hosted inside `keyhold serve`. It is
 * also what the central service runs behind its HTTP endpoint for remote Connect servers, so
 * both hostings share every check.
 */
export function inProcessCentral(services: Services, serverId: string): CentralClient {
  const { storage } = services;

  /**
   * Verifies the call's token for this server. A refused token is audited as a DENY in the
   * server's account (it is that account's server being probed), naming the token's jti when it
   * has a readable one, then refused.
   */
  const context = async (call: ConnectCall, target: Target): Promise<RequestContext> => {
    try {
      const { actor, principal } = await services.connectVerifier.verify(call.token, serverId);
      return { actor, principal, requestId: call.requestId, ip: call.ip, userAgent: call.userAgent };
    } catch (error) {
      if (isAppError(error) && error.status === 401) await auditRefusedToken(call, target);
      throw error;
    }
  };

  const auditRefusedToken = async (call: ConnectCall, target: Target) => {
    const server = await storage.connectServers.findById(serverId);
    if (!server) return; // the server itself is gone: there is no account left to record it in
    await auditRefusal(
      { audit: storage.audit, refusals: services.refusals },
      { accountId: server.accountId, serverId },
      call,
      target,
    );
  };

  return vaultOperations(services, context, (ctx, page) =>
    connectServerActivity(storage, serverId, ctx, page),
  );
}

/**
 * Records the refusal of a call's token in the server's account: a DENY naming the token's jti
 * when it has a readable one. Past a handful a minute from one source, refusals are counted into
 * a summary event instead of written one by one (domain/audit/refusal-summaries.ts): a refused
 * caller is not authenticated, and must not be able to grow the trail at will. Shared with the
 * standalone node (connect-server/node/node-reads.ts), which records into its outbox.
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
