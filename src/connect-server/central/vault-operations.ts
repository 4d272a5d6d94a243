import type { RequestContext } from '../../domain/context.js';
import type { FileReads } from '../../domain/items/file-reads.js';
import type { ItemReads } from '../../domain/items/item-reads.js';
import type { VaultReads } from '../../domain/vaults/vault-reads.js';
import type { Services } from '../../services.js';
import type { AuditAction, AuditEvent, AuditResourceType } from '../../storage/ports.js';
import type { CentralClient, ConnectCall } from './central-client.js';
import { endOfTurn } from './end-of-turn.js';

/** What a call is about, for the DENY event of a call whose credential is refused. */
export interface Target {
  action: AuditAction;
  type: AuditResourceType;
  vaultId?: string;
  itemId?: string;
}

/** Turns a call's bearer token into the acting context, or throws 401 (auditing what it can). */
export type Authenticate = (call: ConnectCall, target: Target) => Promise<RequestContext>;

/** The audit events a caller may page through at `/v1/activity`. */
export type Activity = (
  ctx: RequestContext,
  page: { limit: number; offset: number },
) => Promise<{ events: AuditEvent[]; total: number }>;

/**
 * The Connect-shaped vault operations over the domain services, for any kind of bearer token:
 * Connect tokens (both Connect hostings) and OAuth access tokens (the user vault API). Only
 * `authenticate` differs; every decision after it is the domain's, through `decide()`.
 */
/** The read calls of the Connect API: what a standalone node answers from its replica. */
export type ReadOperations = Pick<
  CentralClient,
  'listVaults' | 'getVault' | 'listItems' | 'getItem' | 'listFiles' | 'getFile' | 'fileContent'
>;

/** The read services the read calls use: over the central storage, or over a node's replica. */
export interface ReadServices {
  vaults: Pick<VaultReads, 'list' | 'get'>;
  items: Pick<ItemReads, 'list' | 'getJson'>;
  files: FileReads;
}

/** Every call starts with the other calls of its event-loop turn (see end-of-turn.ts). */
const inTurn =
  (authenticateNow: Authenticate): Authenticate =>
  async (call, target) => {
    await endOfTurn();
    return authenticateNow(call, target);
  };

const read = (type: AuditResourceType, vaultId?: string, itemId?: string): Target => ({
  action: 'READ',
  type,
  ...(vaultId ? { vaultId } : {}),
  ...(itemId ? { itemId } : {}),
});

/**
 * The Connect read calls over the read services. Both Connect hostings and a standalone node
 * run these: only `authenticate` and the stores under the services differ.
 */
export function readOperations(services: ReadServices, authenticateNow: Authenticate): ReadOperations {
  const { vaults, items, files } = services;
  const authenticate = inTurn(authenticateNow);
  return {
    listVaults: async (call) => vaults.list(await authenticate(call, read('VAULT'))),
    getVault: async (call, vaultId) => vaults.get(await authenticate(call, read('VAULT', vaultId)), vaultId),
    listItems: async (call, vaultId, filter) =>
      items.list(await authenticate(call, read('VAULT', vaultId)), vaultId, filter),
    getItem: async (call, vaultId, itemId) =>
      items.getJson(await authenticate(call, read('ITEM', vaultId, itemId)), vaultId, itemId),
    listFiles: async (call, vaultId, itemId) =>
      files.list(await authenticate(call, read('ITEM', vaultId, itemId)), vaultId, itemId),
    getFile: async (call, vaultId, itemId, fileId) =>
      files.get(await authenticate(call, read('FILE', vaultId, itemId)), vaultId, itemId, fileId),
    fileContent: async (call, vaultId, itemId, fileId) =>
      files.content(await authenticate(call, read('FILE', vaultId, itemId)), vaultId, itemId, fileId),
  };
}

export function vaultOperations(
  services: Pick<Services, 'vaults' | 'items' | 'files'>,
  authenticateNow: Authenticate,
  activity: Activity,
): CentralClient {
  const { items, files } = services;
  const authenticate = inTurn(authenticateNow);

  return {
    ...readOperations(services, authenticateNow),
    createItem: async (call, vaultId, body) => {
      const ctx = await authenticate(call, { action: 'CREATE', type: 'ITEM', vaultId });
      return items.create(ctx, vaultId, body);
    },
    replaceItem: async (call, vaultId, itemId, body) => {
      const ctx = await authenticate(call, { action: 'UPDATE', type: 'ITEM', vaultId, itemId });
      return items.replace(ctx, vaultId, itemId, body);
    },
    patchItem: async (call, vaultId, itemId, operations) => {
      const ctx = await authenticate(call, { action: 'UPDATE', type: 'ITEM', vaultId, itemId });
      return items.patch(ctx, vaultId, itemId, operations);
    },
    deleteItem: async (call, vaultId, itemId) =>
      items.delete(
        await authenticate(call, { action: 'DELETE', type: 'ITEM', vaultId, itemId }),
        vaultId,
        itemId,
      ),
    addFile: async (call, vaultId, itemId, file) =>
      files.add(
        await authenticate(call, { action: 'CREATE', type: 'FILE', vaultId, itemId }),
        vaultId,
        itemId,
        file,
      ),
    activity: async (call, page) => activity(await authenticate(call, read('VAULT')), page),
  };
}
