import type { VaultKeys } from '../../crypto/vault-keys.js';
import { notFound } from '../../errors/app-error.js';
import type { AuditStore, ItemStore, VaultStore } from '../../storage/ports.js';
import { authorizeVault } from '../access/authorize.js';
import { recordAudit } from '../audit/audit-log.js';
import { type ItemFilter, matchesItem } from '../connect/filter.js';
import type { RequestContext } from '../context.js';
import { openFileMetas } from './file-service.js';
import { verifyHead } from './heads.js';
import { metaOf, placeOf, sealedOf } from './item-rows.js';
import { byListOrder } from './overview-index.js';
import { itemJson, type toFullItem, toItemSummary } from './present.js';
import { openOverview, openServedJson } from './sealing.js';

export type FullItem = ReturnType<typeof toFullItem>;
export type ItemSummary = ReturnType<typeof toItemSummary>;

/**
 * What the item reads use of the stores: the central storage, or a standalone Connect node's
 * replica (connect-server/node), whose rows are the central rows as they are.
 */
export interface ItemReadStores {
  vaults: Pick<VaultStore, 'find'>;
  items: Pick<ItemStore, 'getWithFiles' | 'list'>;
  audit: Pick<AuditStore, 'append'>;
}

export interface ItemReads {
  /** The vault's items in list order (overview-index.ts), those passing `filter` when one is given. */
  list(ctx: RequestContext, vaultId: string, filter?: ItemFilter): Promise<ItemSummary[]>;
  get(ctx: RequestContext, vaultId: string, itemId: string): Promise<FullItem>;
  /**
   * The same read as `get`, answered as the UTF-8 JSON Connect sends (the bytes of
   * `JSON.stringify` of what `get` returns): the path every secret read over Connect takes.
   */
  getJson(ctx: RequestContext, vaultId: string, itemId: string): Promise<Buffer>;
}

/** Reading items: decided by `decide()`, every row's head and seal checked, audited before answered. */
export function itemReads(stores: ItemReadStores, keys: VaultKeys): ItemReads {
  const getJson: ItemReads['getJson'] = async (ctx, vaultId, itemId) => {
    const vault = await authorizeVault(stores, ctx, vaultId, 'read');
    const found = await stores.items.getWithFiles(vault.id, itemId);
    if (!found) throw notFound(`item ${itemId} not found`);
    const { item: row, files } = found;
    verifyHead(keys.macKey(vault), row);
    const json = itemJson(
      metaOf(row),
      openServedJson(keys.vaultKey(vault), placeOf(row), sealedOf(row)),
      openFileMetas(keys, vault, files),
      Date.now(),
    );
    // Fail closed: the secret leaves only once its read is on record.
    await recordAudit(stores.audit, ctx, {
      action: 'READ',
      resourceType: 'ITEM',
      vaultId,
      itemId,
      itemVersion: row.version,
      result: 'SUCCESS',
    });
    return json;
  };

  return {
    async list(ctx, vaultId, filter) {
      const vault = await authorizeVault(stores, ctx, vaultId, 'read');
      const key = keys.vaultKey(vault);
      const macKey = keys.macKey(vault);
      const rows = await stores.items.list(vaultId);
      const all = rows.map((row) => {
        verifyHead(macKey, row);
        return toItemSummary(metaOf(row), openOverview(key, placeOf(row), row.overview));
      });
      const summaries = (filter ? all.filter((item) => matchesItem(filter, item)) : all).sort(byListOrder);
      await recordAudit(stores.audit, ctx, {
        action: 'READ',
        resourceType: 'VAULT',
        vaultId,
        result: 'SUCCESS',
      });
      return summaries;
    },

    async get(ctx, vaultId, itemId) {
      return JSON.parse((await getJson(ctx, vaultId, itemId)).toString('utf8')) as FullItem;
    },

    getJson,
  };
}
