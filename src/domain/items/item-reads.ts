import type { VaultKeys } from '../../crypto/vault-keys.js';
import { notFound } from '../../errors/app-error.js';
import type { AuditStore, ItemStore, VaultStore } from '../../storage/ports.js';
import { authorizeVault, readableItems } from '../access/authorize.js';
import { recordAudit } from '../audit/audit-log.js';
import { type ItemFilter, matchesItem } from '../connect/filter.js';
import type { RequestContext } from '../context.js';
import { openFileMetas } from './file-service.js';
import { verifyHead } from './heads.js';
import { narrowedItemJson, narrowedList, narrowedSummary } from './item-narrowing.js';
import { metaOf, placeOf, sealedOf } from './item-rows.js';
import { byListOrder } from './overview-index.js';
import { itemJson, servedDependsOnTime, type toFullItem, toItemSummary } from './present.js';
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

/**
 * The answers `getJson` made from item views, by the view object the store handed out: for a
 * store that hands out the same object again while the row is unchanged, and a new one once it
 * may have changed (a Connect node's read cache, connect-server/node/served-answers.ts). An
 * answer found here skips checking the view's head and opening its seal again, which for that
 * same object in memory were already done. Holds plaintext: in memory only.
 */
export interface ServedAnswers {
  get(view: object): Buffer | undefined;
  set(view: object, json: Buffer): void;
}

/** Reading items: decided by `decide()`, every row's head and seal checked, audited before answered. */
export function itemReads(
  stores: ItemReadStores,
  keys: VaultKeys,
  options: { answers?: ServedAnswers } = {},
): ItemReads {
  const { answers } = options;
  const getJson: ItemReads['getJson'] = async (ctx, vaultId, itemId) => {
    const vault = await authorizeVault(stores, ctx, vaultId, 'read', undefined, {
      item: itemId,
      narrowed: true,
    });
    const found = await stores.items.getWithFiles(vault.id, itemId);
    if (!found) throw notFound(`item ${itemId} not found`);
    const { item: row, files } = found;
    let json = answers?.get(found);
    if (!json) {
      verifyHead(keys.macKey(vault), row);
      const served = openServedJson(keys.vaultKey(vault), placeOf(row), sealedOf(row));
      json = itemJson(metaOf(row), served, openFileMetas(keys, vault, files), Date.now());
      // An OTP field's code is computed for the moment of the read.
      if (answers && !servedDependsOnTime(served)) answers.set(found, json);
    }
    // A caller that may read only some fields gets only those (the cache holds the whole item).
    json = narrowedItemJson(ctx, vaultId, itemId, json);
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
      const vault = await authorizeVault(stores, ctx, vaultId, 'read', undefined, 'each');
      const key = keys.vaultKey(vault);
      const macKey = keys.macKey(vault);
      const rows = readableItems(ctx, vault, await stores.items.list(vaultId), (row) => row.id);
      const opened = rows.map((row) => {
        verifyHead(macKey, row);
        return toItemSummary(metaOf(row), openOverview(key, placeOf(row), row.overview));
      });
      const all = narrowedList(ctx, vaultId, opened, (item) => item.id, narrowedSummary);
      const summaries = (filter ? all.filter((item) => matchesItem(filter, item)) : [...all]).sort(
        byListOrder,
      );
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
