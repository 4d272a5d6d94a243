import { connectServerActivity } from '../../domain/audit/activity.js';
import type { RequestContext } from '../../domain/context.js';
import { isAppError } from '../../errors/app-error.js';
import type { Services } from '../../services.js';
import { auditRefusal } from '../refused-tokens.js';
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
