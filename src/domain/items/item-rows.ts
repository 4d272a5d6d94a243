import type { VaultKeys } from '../../crypto/vault-keys.js';
import { notFound } from '../../errors/app-error.js';
import type { ItemRow, Storage, VaultCore } from '../../storage/ports.js';
import { listFileMetas } from './file-service.js';
import { verifyHead } from './heads.js';
import { toFullItem } from './present.js';
import { type ItemPlace, openItem, type SealedItem } from './sealing.js';
import type { ItemContent, ItemMeta } from './types.js';

/** The item row's place: what every sealed value of its current version is bound to. */
export const placeOf = (row: ItemRow): ItemPlace => ({
  accountId: row.accountId,
  vaultId: row.vaultId,
  itemId: row.id,
  version: row.version,
});

/** A row loaded with its content. */
export const sealedOf = (row: ItemRow): SealedItem => ({
  overview: row.overview,
  content: row.content as Buffer,
  layout: row.layout,
});

export const metaOf = (row: ItemRow): ItemMeta => ({
  id: row.id,
  vaultId: row.vaultId,
  version: row.version,
  createdAt: row.createdAt,
  updatedAt: row.updatedAt,
  lastEditedBy: row.lastEditedBy,
});

/** Reading an item's current row, checked, and presenting it: shared by the item services. */
export function itemRows(storage: Pick<Storage, 'items' | 'files'>, keyring: VaultKeys) {
  return {
    /** The current row, its head checked: a rolled-back or altered row is an integrity error. */
    async load(vault: VaultCore, itemId: string, withContent: boolean): Promise<ItemRow> {
      const row = await storage.items.get(vault.id, itemId, withContent);
      if (!row) throw notFound(`item ${itemId} not found`);
      verifyHead(keyring.macKey(vault), row);
      return row;
    },

    openContent: (vault: VaultCore, row: ItemRow): ItemContent =>
      openItem(keyring.vaultKey(vault), placeOf(row), sealedOf(row)),

    present: async (vault: VaultCore, row: ItemRow, content: ItemContent) =>
      toFullItem(metaOf(row), content, await listFileMetas(storage, keyring, vault, row.id), Date.now()),
  };
}
