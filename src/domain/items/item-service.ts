import { z } from 'zod';
import { newId } from '../../crypto/ids.js';
import type { Keyring } from '../../crypto/keyring.js';
import { conflict, isAppError, notFound } from '../../errors/app-error.js';
import type { ItemRow, ItemVersionRecord, Storage, VaultCore } from '../../storage/ports.js';
import { authorizeVault, readableItems } from '../access/authorize.js';
import { decide } from '../access/decide.js';
import { recordAudit } from '../audit/audit-log.js';
import { checkBlindPatch } from '../connect/blind-patch.js';
import { applyItemPatch, parseItemPatch } from '../connect/patch.js';
import type { RequestContext } from '../context.js';
import { itemHead, verifyHead, versionMac } from './heads.js';
import { buildItemContent, parseItemInput, parseItemPart } from './input.js';
import { checkVersion, type ItemHistory, itemHistory, rowAsOf } from './item-history.js';
import { narrowedIndexEntry, narrowedList } from './item-narrowing.js';
import { type FullItem, type ItemReads, type ItemSummary, itemReads } from './item-reads.js';
import { itemRows, metaOf, placeOf } from './item-rows.js';
import { filterIndex } from './overview-filter.js';
import {
  DEFAULT_MAX_INDEXED_ITEMS,
  type ItemPage,
  overviewIndex,
  type PageQuery,
  pageOf,
} from './overview-index.js';
import { toFullItem, toItemSummary } from './present.js';
import { LAYOUT, openOverview, sealItem } from './sealing.js';
import type { ItemContent } from './types.js';
import { attemptWrite, authorizeWrite, recordWrite, refuseWrite, type WriteTarget } from './write-attempt.js';

export type { FullItem, ItemSummary };

/** What a writer without read access gets back: proof of the write, none of the content. */
export interface WriteReceipt {
  id: string;
  vault: { id: string };
  version: number;
  createdAt: string;
  updatedAt: string;
}

/**
 * Items: create, read, replace, patch, delete. Writes take the request body as it came
 * (`unknown`) and validate it here, so that every refused or failed write is audited against
 * the item with the action attempted, and is answered only once that event is recorded.
 */
export interface ItemService extends ItemHistory, ItemReads {
  create(ctx: RequestContext, vaultId: string, body: unknown): Promise<FullItem | WriteReceipt>;
  /** Replaces the item's content; a stale `body.version` is a 409, never a silent overwrite. */
  replace(
    ctx: RequestContext,
    vaultId: string,
    itemId: string,
    body: unknown,
  ): Promise<FullItem | WriteReceipt>;
  /**
   * Applies a JSON Patch (domain/connect/patch.ts) to the current item and stores the result as
   * the next version; an empty patch stores nothing. Needs only write access: a write-only caller
   * never sees the item, only a receipt, may send only a patch it could state without reading the
   * item (domain/connect/blind-patch.ts), and is told nothing of why one did not apply.
   */
  patch(
    ctx: RequestContext,
    vaultId: string,
    itemId: string,
    operations: unknown,
  ): Promise<FullItem | WriteReceipt>;
  /**
   * Moves the item to its vault's trash (Connect's DELETE too): from then on it is neither listed
   * nor readable, by the admin API or Connect, until undeleted. Its versions and files are kept.
   */
  delete(ctx: RequestContext, vaultId: string, itemId: string): Promise<void>;
  /**
   * Deletes the item with its history and files for good: from the vault (`items`) or from its
   * trash (`trash`), whichever `from` names; an item elsewhere is a 404.
   */
  deletePermanently(
    ctx: RequestContext,
    vaultId: string,
    itemId: string,
    from: 'items' | 'trash',
  ): Promise<void>;
  /** The vault's trash, most recently deleted first (needs read: it shows titles). */
  listTrash(ctx: RequestContext, vaultId: string): Promise<TrashedItem[]>;
  /** Takes the item out of the trash, as it was (same version); needs write. */
  undelete(ctx: RequestContext, vaultId: string, itemId: string): Promise<FullItem | WriteReceipt>;
  /**
   * Stores the content of the item's version `version` as its next version: history is never
   * rewritten. `body` may carry `{currentVersion}`: another current version is a 409. Files are
   * not versioned: the item keeps the files it has. Needs write.
   */
  restore(
    ctx: RequestContext,
    vaultId: string,
    itemId: string,
    version: number,
    body: unknown,
  ): Promise<FullItem | WriteReceipt>;
  /**
   * One page of the vault's item summaries in title order, narrowed by a search over titles, tags
   * and URLs (overview-index.ts); audited as a read of the vault, like `list`.
   */
  page(ctx: RequestContext, vaultId: string, query: PageQuery): Promise<ItemPage>;
  /**
   * Builds the overview index of every vault with at least `minItems` items (within the index's
   * bound), so the first console request for a large vault does not pay for it: `keyhold serve`
   * calls it in the background once listening.
   */
  warmIndexes(minItems?: number): Promise<{ vaults: number; items: number }>;
}

/** An item in the vault's trash: its summary, when it was deleted and by whom (an actor id). */
export type TrashedItem = ItemSummary & { deletedAt: string; deletedBy: string };

/** What a restore may send: the version the caller saw as current (optimistic concurrency). */
export const restoreBody = z
  .strictObject({ currentVersion: z.number().int().min(1).optional() })
  .meta({ id: 'RestoreBody' });

/** Vaults smaller than this are indexed by their first request, in well under 200 ms. */
export const WARM_MIN_ITEMS = 5_000;

const staleVersion = (itemId: string, current: number, basedOn: number | undefined) =>
  conflict(
    `item ${itemId} has changed: it is at version ${current}, the update was based on version ${basedOn}; fetch it again and retry`,
    'version_conflict',
  );

/**
 * The one answer a caller without READ gets when its PATCH does not fit the stored item: the
 * reason would describe the item (see blind-patch.ts for why there are few such cases left).
 */
const patchNotApplicable = () =>
  conflict(
    'the patch cannot be applied to the current item; a caller without read access is not told why',
    'patch_not_applicable',
  );

export function itemService(storage: Storage, keyring: Keyring): ItemService {
  const rows = itemRows(storage, keyring);
  const { load, openContent, present } = rows;
  const history = itemHistory(storage, keyring, rows);
  const reads = itemReads(storage, keyring);
  const index = overviewIndex(storage, keyring);

  /** The item row `base` moved to its next state, with the head and version record that say so. */
  const stamped = (vault: VaultCore, base: ItemRow, content: ItemContent) => {
    const macKey = keyring.macKey(vault);
    const row: ItemRow = { ...base, head: itemHead(macKey, base) };
    const place = placeOf(row);
    const edit = { createdAt: row.updatedAt, editedBy: row.lastEditedBy };
    const record: ItemVersionRecord = {
      itemId: row.id,
      version: row.version,
      ...sealItem(keyring.vaultKey(vault), place, content),
      ...edit,
      mac: versionMac(macKey, { ...place, ...edit }),
    };
    return { row, record };
  };

  const canRead = (ctx: RequestContext, vault: VaultCore, item?: string) =>
    decide(ctx.principal, 'read', item === undefined ? vault : { ...vault, item }).allow;

  /** What a write-only caller is told of the item it wrote: that it did, and no more. */
  const receipt = (row: ItemRow): WriteReceipt => ({
    id: row.id,
    vault: { id: row.vaultId },
    version: row.version,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  });

  /** The full item for callers that may read the vault; a receipt for write-only callers. */
  const answer = async (
    ctx: RequestContext,
    vault: VaultCore,
    row: ItemRow,
    full: () => FullItem | Promise<FullItem>,
  ): Promise<FullItem | WriteReceipt> => (canRead(ctx, vault, row.id) ? full() : receipt(row));

  const attempt = <T>(ctx: RequestContext, target: WriteTarget, write: () => Promise<T>) =>
    attemptWrite(storage.audit, ctx, target, write);

  /** Stores `content` as the version after `current`, unless another writer got there first. */
  const commit = async (
    ctx: RequestContext,
    vault: VaultCore,
    current: ItemRow,
    content: ItemContent,
  ): Promise<FullItem | WriteReceipt> => {
    const now = new Date().toISOString();
    const { row: next, record } = stamped(
      vault,
      { ...current, version: current.version + 1, updatedAt: now, lastEditedBy: ctx.actor.id },
      content,
    );
    await storage.transaction(async (tx) => {
      const moved = await tx.items.update(next, current.version, record);
      if (!moved) throw staleVersion(current.id, current.version + 1, current.version);
      await tx.vaults.touchContent(vault.id, now);
      await recordAudit(tx.audit, ctx, {
        action: 'UPDATE',
        resourceType: 'ITEM',
        vaultId: vault.id,
        itemId: current.id,
        itemVersion: next.version,
        result: 'SUCCESS',
      });
    });
    return answer(ctx, vault, next, () => present(vault, next, content));
  };

  /**
   * An empty PATCH changes nothing, so it stores no version. It is still recorded, fail-closed,
   * before anything is answered: a reader gets the item as it is, a read of its secrets recorded
   * as one; a write-only caller gets a receipt, recorded as an update that left the item at its
   * version (unrecorded, it would let a caller without READ watch an item's version untraced).
   */
  const unchanged = async (ctx: RequestContext, vault: VaultCore, row: ItemRow) => {
    const reader = canRead(ctx, vault, row.id);
    const answer = reader ? await present(vault, row, openContent(vault, row)) : receipt(row);
    await recordAudit(storage.audit, ctx, {
      action: reader ? 'READ' : 'UPDATE',
      resourceType: 'ITEM',
      vaultId: vault.id,
      itemId: row.id,
      itemVersion: row.version,
      result: 'SUCCESS',
    });
    return answer;
  };

  /** The vault's overview index, for a caller that may read the vault; audited as a read of the vault. */
  const indexed = async (ctx: RequestContext, vaultId: string) => {
    const vault = await authorizeVault(storage, ctx, vaultId, 'read', undefined, 'each');
    const whole = await index.of(vault);
    const readable = readableItems(ctx, vault, whole.items, (item) => item.summary.id);
    const items = narrowedList(ctx, vault.id, readable, (item) => item.summary.id, narrowedIndexEntry);
    const found = items === whole.items ? whole : { ...whole, items };
    await recordAudit(storage.audit, ctx, {
      action: 'READ',
      resourceType: 'VAULT',
      vaultId,
      result: 'SUCCESS',
    });
    return found;
  };

  return {
    page: async (ctx, vaultId, query) => pageOf(await indexed(ctx, vaultId), query),
    // From the overview index, like a page: a vault's overviews are opened once, not on every list
    // (Connect's `GET /v1/vaults/{v}/items`, filtered or not, lists the whole vault).
    async list(ctx, vaultId, filter) {
      const found = await indexed(ctx, vaultId);
      return filter ? filterIndex(found, filter) : found.items.map((item) => item.summary);
    },
    async warmIndexes(minItems = WARM_MIN_ITEMS) {
      let vaults = 0;
      let items = 0;
      for (const account of await storage.accounts.list()) {
        for (const vault of await storage.vaults.list(account.id)) {
          if (vault.itemCount < minItems || items + vault.itemCount > DEFAULT_MAX_INDEXED_ITEMS) continue;
          items += (await index.of(vault)).items.length;
          vaults++;
        }
      }
      return { vaults, items };
    },
    create: (ctx, vaultId, body) => {
      const target: WriteTarget = { action: 'CREATE', vaultId };
      return attempt(ctx, target, async () => {
        const vault = await authorizeWrite(storage, ctx, target);
        const content = buildItemContent(parseItemInput(body));
        const now = new Date().toISOString();
        const { row, record } = stamped(
          vault,
          {
            id: newId(),
            vaultId,
            accountId: vault.accountId,
            version: 1,
            createdAt: now,
            updatedAt: now,
            lastEditedBy: ctx.actor.id,
            head: null,
            hasLaterVersion: false,
            overview: Buffer.alloc(0),
            layout: LAYOUT.served,
          },
          content,
        );
        await storage.transaction(async (tx) => {
          await tx.items.insert(row, record);
          await tx.vaults.touchContent(vaultId, now);
          await recordWrite(tx.audit, ctx, target, 'SUCCESS', { itemId: row.id, itemVersion: 1 });
        });
        return answer(ctx, vault, row, () => toFullItem(metaOf(row), content, [], Date.now()));
      });
    },

    get: reads.get,
    getJson: reads.getJson,

    replace: (ctx, vaultId, itemId, body) => {
      const target: WriteTarget = { action: 'UPDATE', vaultId, itemId };
      return attempt(ctx, target, async () => {
        const vault = await authorizeWrite(storage, ctx, target);
        const input = parseItemInput(body);
        const current = await load(vault, itemId, true);
        if (input.version !== undefined && input.version !== current.version) {
          throw staleVersion(itemId, current.version, input.version);
        }
        const previous = openContent(vault, current);
        // A reader may keep a category a create refuses; a write-only caller's body is the whole
        // item, so it is held to the rules of a create and no answer depends on the stored item.
        const keepCategory = canRead(ctx, vault, itemId) ? previous.overview.category : undefined;
        const content = buildItemContent(input, { keepCategory, previous: previous.details });
        return commit(ctx, vault, current, content);
      });
    },

    patch: (ctx, vaultId, itemId, operations) => {
      const target: WriteTarget = { action: 'UPDATE', vaultId, itemId };
      return attempt(ctx, target, async () => {
        const vault = await authorizeWrite(storage, ctx, target);
        const reader = canRead(ctx, vault, itemId);
        // Checked before the item is read: these answers depend on the request alone.
        const patch = parseItemPatch(operations);
        if (!reader) await refuseWrite(storage.audit, ctx, target, () => checkBlindPatch(patch, vaultId));
        const current = await load(vault, itemId, true);
        if (patch.length === 0) return unchanged(ctx, vault, current);
        const previous = openContent(vault, current);
        let content: ItemContent;
        try {
          const merged = applyItemPatch(await present(vault, current, previous), patch);
          content = buildItemContent(parseItemInput(merged), {
            keepCategory: previous.overview.category,
            previous: previous.details,
          });
        } catch (error) {
          // Whatever failed here failed on the stored item: only a reader may be told what.
          if (!reader && isAppError(error) && error.code === 'invalid_input') throw patchNotApplicable();
          throw error;
        }
        return commit(ctx, vault, current, content);
      });
    },

    // The trash's events: a move to the trash is a DELETE naming the version kept, a permanent
    // delete a DELETE without one, an undelete a CREATE naming the version back (docs/admin-api.md).
    delete: (ctx, vaultId, itemId) => {
      const target: WriteTarget = { action: 'DELETE', vaultId, itemId };
      return attempt(ctx, target, async () => {
        const vault = await authorizeWrite(storage, ctx, target);
        const current = await load(vault, itemId, false);
        const now = new Date().toISOString();
        await storage.transaction(async (tx) => {
          if (!(await tx.items.trash(vaultId, itemId, now, ctx.actor.id)))
            throw notFound(`item ${itemId} not found`);
          await tx.vaults.touchContent(vaultId, now);
          await recordWrite(tx.audit, ctx, target, 'SUCCESS', { itemVersion: current.version });
        });
      });
    },

    deletePermanently: (ctx, vaultId, itemId, from) => {
      const target: WriteTarget = { action: 'DELETE', vaultId, itemId };
      return attempt(ctx, target, async () => {
        await authorizeWrite(storage, ctx, target);
        const now = new Date().toISOString();
        await storage.transaction(async (tx) => {
          const there =
            from === 'trash'
              ? await tx.items.getTrashed(vaultId, itemId)
              : await tx.items.get(vaultId, itemId, false);
          if (!there) throw notFound(`item ${itemId} not found${from === 'trash' ? ' in the trash' : ''}`);
          if (!(await tx.items.delete(vaultId, itemId))) throw notFound(`item ${itemId} not found`);
          await tx.vaults.touchContent(vaultId, now);
          await recordWrite(tx.audit, ctx, target, 'SUCCESS');
        });
      });
    },

    async listTrash(ctx, vaultId) {
      const vault = await authorizeVault(storage, ctx, vaultId, 'read');
      const key = keyring.vaultKey(vault);
      const macKey = keyring.macKey(vault);
      const rows = await storage.items.listTrash(vaultId);
      const trashed = rows.map((row) => {
        verifyHead(macKey, row);
        const summary = toItemSummary(metaOf(row), openOverview(key, placeOf(row), row.overview));
        return { ...summary, deletedAt: row.deletedAt, deletedBy: row.deletedBy };
      });
      await recordAudit(storage.audit, ctx, {
        action: 'READ',
        resourceType: 'VAULT',
        vaultId,
        result: 'SUCCESS',
      });
      return trashed;
    },

    undelete: (ctx, vaultId, itemId) => {
      const target: WriteTarget = { action: 'CREATE', vaultId, itemId };
      return attempt(ctx, target, async () => {
        const vault = await authorizeWrite(storage, ctx, target);
        const trashed = await storage.items.getTrashed(vaultId, itemId);
        if (!trashed) throw notFound(`item ${itemId} not found in the trash`);
        verifyHead(keyring.macKey(vault), trashed);
        const now = new Date().toISOString();
        await storage.transaction(async (tx) => {
          if (!(await tx.items.untrash(vaultId, itemId)))
            throw notFound(`item ${itemId} not found in the trash`);
          await tx.vaults.touchContent(vaultId, now);
          await recordWrite(tx.audit, ctx, target, 'SUCCESS', { itemVersion: trashed.version });
        });
        return answer(ctx, vault, trashed, async () => {
          const row = await load(vault, itemId, true);
          return present(vault, row, openContent(vault, row));
        });
      });
    },

    restore: (ctx, vaultId, itemId, version, body) => {
      const target: WriteTarget = { action: 'UPDATE', vaultId, itemId };
      return attempt(ctx, target, async () => {
        const vault = await authorizeWrite(storage, ctx, target);
        const expected =
          body === undefined || body === null
            ? undefined
            : parseItemPart(restoreBody, body, '').currentVersion;
        const current = await load(vault, itemId, true);
        if (expected !== undefined && expected !== current.version) {
          throw staleVersion(itemId, current.version, expected);
        }
        const old = await storage.items.getVersion(itemId, version);
        if (!old) throw notFound(`item ${itemId} has no version ${version}`);
        checkVersion(keyring, vault, current, old);
        return commit(ctx, vault, current, openContent(vault, rowAsOf(current, old)));
      });
    },

    ...history,
  };
}
