import type { RequestContext } from '../domain/context.js';
import { applyItemPatch } from '../domain/connect/patch.js';
import { parseItemInput } from '../domain/items/input.js';
import type { Services } from '../services.js';
import type { CentralClient, ConnectCall } from './central-client.js';

/**
 * The central service called directly, for Connect servers hosted inside `keyhold serve`. It is
 * also what the central service runs behind its HTTP endpoint for remote Connect servers, so
 * both hostings share every check.
 */
export function inProcessCentral(services: Services, serverId: string): CentralClient {
  const context = async (call: ConnectCall): Promise<RequestContext> => {
    const { actor, principal } = await services.connectVerifier.verify(call.token, serverId);
    return { actor, principal, requestId: call.requestId, ip: call.ip, userAgent: call.userAgent };
  };
  const { vaults, items, files, storage } = services;

  return {
    listVaults: async (call) => vaults.list(await context(call)),
    getVault: async (call, vaultId) => vaults.get(await context(call), vaultId),
    listItems: async (call, vaultId) => items.list(await context(call), vaultId),
    getItem: async (call, vaultId, itemId) => items.get(await context(call), vaultId, itemId),
    createItem: async (call, vaultId, body) => {
      const ctx = await context(call);
      return items.create(ctx, vaultId, parseItemInput(body));
    },
    replaceItem: async (call, vaultId, itemId, body) => {
      const ctx = await context(call);
      return items.replace(ctx, vaultId, itemId, parseItemInput(body));
    },
    patchItem: async (call, vaultId, itemId, operations) =>
      items.patch(await context(call), vaultId, itemId, (current) => parseItemInput(applyItemPatch(current, operations))),
    deleteItem: async (call, vaultId, itemId) => items.delete(await context(call), vaultId, itemId),
    listFiles: async (call, vaultId, itemId) => files.list(await context(call), vaultId, itemId),
    getFile: async (call, vaultId, itemId, fileId) => files.get(await context(call), vaultId, itemId, fileId),
    fileContent: async (call, vaultId, itemId, fileId) => files.content(await context(call), vaultId, itemId, fileId),
    addFile: async (call, vaultId, itemId, file) => files.add(await context(call), vaultId, itemId, file),
    activity: async (call, page) => {
      const ctx = await context(call);
      const tokenIds = (await storage.connectTokens.list(serverId)).map((t) => t.id);
      return storage.audit.listByTokens(ctx.actor.accountId, tokenIds, page);
    },
  };
}
