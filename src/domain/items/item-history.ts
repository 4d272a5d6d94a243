import type { Keyring } from '../../crypto/keyring.js';
import { integrityError, notFound } from '../../errors/app-error.js';
import type { ItemRow, ItemVersionRecord, Storage, VaultCore } from '../../storage/ports.js';
import { authorizeVault } from '../access/authorize.js';
import { recordAudit } from '../audit/audit-log.js';
import type { RequestContext } from '../context.js';
import { verifyVersion } from './heads.js';
import { type itemRows, placeOf } from './item-rows.js';
import type { toFullItem } from './present.js';
import { openOverview } from './sealing.js';

export interface ItemVersionView {
  version: number;
  title: string;
  createdAt: string;
  editedBy: string;
}

/** An item's stored versions: every one is kept, and each is read as it was (a secret read). */
export interface ItemHistory {
  history(ctx: RequestContext, vaultId: string, itemId: string): Promise<ItemVersionView[]>;
  getVersion(
    ctx: RequestContext,
    vaultId: string,
    itemId: string,
    version: number,
  ): Promise<ReturnType<typeof toFullItem>>;
}

/**
 * A stored version record of `row`, its metadata checked. A version after the current one exists
 * only if the item was pointed back at an older version (with an older head restored).
 */
export function checkVersion(keyring: Keyring, vault: VaultCore, row: ItemRow, v: ItemVersionRecord): void {
  if (v.version > row.version) throw integrityError(`item ${row.id}`);
  verifyVersion(keyring.macKey(vault), { ...v, accountId: row.accountId, vaultId: row.vaultId });
}

/** `row` as it was at the stored version `v` (its sealed parts are bound to that version). */
export const rowAsOf = (row: ItemRow, v: ItemVersionRecord): ItemRow => ({
  ...row,
  version: v.version,
  updatedAt: v.createdAt,
  lastEditedBy: v.editedBy,
  overview: v.overview,
  content: v.content,
  layout: v.layout,
});

export function itemHistory(
  storage: Pick<Storage, 'vaults' | 'items' | 'audit'>,
  keyring: Keyring,
  { load, openContent, present }: ReturnType<typeof itemRows>,
): ItemHistory {
  /** The whole history, newest first: versions are never pruned, so it is exactly 1…current. */
  const checkedHistory = (vault: VaultCore, row: ItemRow, versions: ItemVersionRecord[]) => {
    versions.forEach((v, i) => {
      if (v.version !== row.version - i) throw integrityError(`item ${row.id}`);
      checkVersion(keyring, vault, row, v);
    });
    if (versions.length !== row.version) throw integrityError(`item ${row.id}`);
    return versions;
  };

  return {
    async history(ctx, vaultId, itemId) {
      const vault = await authorizeVault(storage, ctx, vaultId, 'read', undefined, itemId);
      const row = await load(vault, itemId, false);
      const key = keyring.vaultKey(vault);
      const versions = checkedHistory(vault, row, await storage.items.versions(itemId));
      const views = versions.map((v) => ({
        version: v.version,
        title: openOverview(key, { ...placeOf(row), version: v.version }, v.overview).title,
        createdAt: v.createdAt,
        editedBy: v.editedBy,
      }));
      await recordAudit(storage.audit, ctx, {
        action: 'READ',
        resourceType: 'ITEM',
        vaultId,
        itemId,
        result: 'SUCCESS',
      });
      return views;
    },

    async getVersion(ctx, vaultId, itemId, version) {
      const vault = await authorizeVault(storage, ctx, vaultId, 'read', undefined, itemId);
      const row = await load(vault, itemId, false);
      const old = await storage.items.getVersion(itemId, version);
      if (!old) throw notFound(`item ${itemId} has no version ${version}`);
      checkVersion(keyring, vault, row, old);
      const asOf = rowAsOf(row, old);
      const item = await present(vault, asOf, openContent(vault, asOf));
      await recordAudit(storage.audit, ctx, {
        action: 'READ',
        resourceType: 'ITEM',
        vaultId,
        itemId,
        itemVersion: version,
        result: 'SUCCESS',
      });
      return item;
    },
  };
}
