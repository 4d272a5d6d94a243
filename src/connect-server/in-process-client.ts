import { isId } from '../crypto/ids.js';
import { recordAudit } from '../domain/audit/audit-log.js';
import { applyItemPatch } from '../domain/connect/patch.js';
import type { RequestContext } from '../domain/context.js';
import { parseItemInput } from '../domain/items/input.js';
import { isAppError } from '../errors/app-error.js';
import type { Services } from '../services.js';
import type { AuditAction, AuditResourceType } from '../storage/ports.js';
import type { CentralClient, ConnectCall } from './central-client.js';

/** What a call is about, for the DENY event of a call whose token is refused. */
interface Target {
  action: AuditAction;
  type: AuditResourceType;
  vaultId?: string;
  itemId?: string;
}

/**
 * The central service called directly, for Connect servers hosted inside `keyhold serve`. It is
 * also what the central service runs behind its HTTP endpoint for remote Connect servers, so
 * both hostings share every check.
 */
export function inProcessCentral(services: Services, serverId: string): CentralClient {
  const { vaults, items, files, storage } = services;

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
    const jti = readableJti(call.token);
    await recordAudit(
      storage.audit,
      {
        actor: {
          type: 'connect_token',
          id: jti ?? 'unknown',
          accountId: server.accountId,
          tokenId: jti,
          operator: false,
        },
        principal: {
          kind: 'connect',
          accountId: server.accountId,
          serverId,
          grants: new Map(),
          serverVaults: new Set(),
        },
        requestId: call.requestId,
        ip: call.ip,
        userAgent: call.userAgent,
      },
      {
        action: target.action,
        resourceType: target.type,
        vaultId: target.vaultId ?? null,
        itemId: target.itemId ?? null,
        result: 'DENY',
      },
    );
  };

  const read = (type: AuditResourceType, vaultId?: string, itemId?: string): Target => ({
    action: 'READ',
    type,
    ...(vaultId ? { vaultId } : {}),
    ...(itemId ? { itemId } : {}),
  });

  return {
    listVaults: async (call) => vaults.list(await context(call, read('VAULT'))),
    getVault: async (call, vaultId) => vaults.get(await context(call, read('VAULT', vaultId)), vaultId),
    listItems: async (call, vaultId) => items.list(await context(call, read('VAULT', vaultId)), vaultId),
    getItem: async (call, vaultId, itemId) =>
      items.get(await context(call, read('ITEM', vaultId, itemId)), vaultId, itemId),
    createItem: async (call, vaultId, body) => {
      const ctx = await context(call, { action: 'CREATE', type: 'ITEM', vaultId });
      return items.create(ctx, vaultId, parseItemInput(body));
    },
    replaceItem: async (call, vaultId, itemId, body) => {
      const ctx = await context(call, { action: 'UPDATE', type: 'ITEM', vaultId, itemId });
      return items.replace(ctx, vaultId, itemId, parseItemInput(body));
    },
    patchItem: async (call, vaultId, itemId, operations) => {
      const ctx = await context(call, { action: 'UPDATE', type: 'ITEM', vaultId, itemId });
      return items.patch(ctx, vaultId, itemId, (current) =>
        parseItemInput(applyItemPatch(current, operations)),
      );
    },
    deleteItem: async (call, vaultId, itemId) =>
      items.delete(await context(call, { action: 'DELETE', type: 'ITEM', vaultId, itemId }), vaultId, itemId),
    listFiles: async (call, vaultId, itemId) =>
      files.list(await context(call, read('ITEM', vaultId, itemId)), vaultId, itemId),
    getFile: async (call, vaultId, itemId, fileId) =>
      files.get(await context(call, read('FILE', vaultId, itemId)), vaultId, itemId, fileId),
    fileContent: async (call, vaultId, itemId, fileId) =>
      files.content(await context(call, read('FILE', vaultId, itemId)), vaultId, itemId, fileId),
    addFile: async (call, vaultId, itemId, file) =>
      files.add(
        await context(call, { action: 'CREATE', type: 'FILE', vaultId, itemId }),
        vaultId,
        itemId,
        file,
      ),
    activity: async (call, page) => {
      const ctx = await context(call, read('VAULT'));
      const tokenIds = (await storage.connectTokens.list(serverId)).map((t) => t.id);
      return storage.audit.listByTokens(ctx.actor.accountId, tokenIds, page);
    },
  };
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
