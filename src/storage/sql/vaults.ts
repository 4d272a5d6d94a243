import { type Kysely, sql } from 'kysely';
import type { VaultCore, VaultRecord, VaultRow, VaultStore, VaultType } from '../ports.js';
import { precompiled, type RunIfFree } from './precompiled.js';
import type { Database } from './tables.js';

/** `runIfFree`: see precompiled.ts. */
export function vaultStore(db: Kysely<Database>, runIfFree?: RunIfFree): VaultStore {
  // Every item write runs it: compiled once per set of stores (see precompiled.ts).
  const touch = precompiled<'vaultId' | 'updatedAt', unknown>(
    db,
    (p) =>
      db
        .updateTable('vaults')
        .set((eb) => ({ updated_at: p('updatedAt'), content_version: eb('content_version', '+', 1) }))
        .where('id', '=', p('vaultId')),
    runIfFree,
    'vaults: touch content',
  );
  // The item count is derived, never stored, so it cannot drift from the items table.
  const selectVaults = () =>
    db
      .selectFrom('vaults')
      .selectAll('vaults')
      .select((eb) =>
        eb
          .selectFrom('items')
          .select(sql<number>`count(*)`.as('n'))
          .whereRef('items.vault_id', '=', 'vaults.id')
          .where('items.deleted_at', 'is', null)
          .as('item_count'),
      );
  const toCore = (r: Omit<Database['vaults'], 'content_version' | 'updated_at'>): VaultCore => ({
    id: r.id,
    accountId: r.account_id,
    wrappedKey: r.wrapped_key,
    attributes: r.attributes,
    type: r.type as VaultType,
    attributeVersion: r.attribute_version,
    createdAt: r.created_at,
  });
  const toRecord = (r: Database['vaults']): VaultRecord => ({
    ...toCore(r),
    contentVersion: r.content_version,
    updatedAt: r.updated_at,
  });
  const toRow = (r: Database['vaults'] & { item_count: number | string | null }): VaultRow => ({
    ...toRecord(r),
    itemCount: Number(r.item_count ?? 0),
  });
  return {
    async insert(v) {
      await db
        .insertInto('vaults')
        .values({
          id: v.id,
          account_id: v.accountId,
          wrapped_key: v.wrappedKey,
          attributes: v.attributes,
          type: v.type,
          attribute_version: v.attributeVersion,
          content_version: v.contentVersion,
          created_at: v.createdAt,
          updated_at: v.updatedAt,
        })
        .execute();
    },
    async find(accountId, id) {
      const row = await db
        .selectFrom('vaults')
        .select(['id', 'account_id', 'wrapped_key', 'attributes', 'type', 'attribute_version', 'created_at'])
        .where('account_id', '=', accountId)
        .where('id', '=', id)
        .executeTakeFirst();
      return row && toCore(row);
    },
    async content(accountId, id) {
      const row = await db
        .selectFrom('vaults')
        .select(['content_version', 'updated_at'])
        .where('account_id', '=', accountId)
        .where('id', '=', id)
        .executeTakeFirst();
      return row && { contentVersion: Number(row.content_version), updatedAt: row.updated_at };
    },
    async get(accountId, id) {
      const row = await selectVaults()
        .where('account_id', '=', accountId)
        .where('id', '=', id)
        .executeTakeFirst();
      return row && toRow(row);
    },
    async list(accountId) {
      const rows = await selectVaults().where('account_id', '=', accountId).orderBy('created_at').execute();
      return rows.map(toRow);
    },
    async updateAttributes(accountId, id, attributes, updatedAt) {
      const result = await db
        .updateTable('vaults')
        .set((eb) => ({
          attributes,
          updated_at: updatedAt,
          attribute_version: eb('attribute_version', '+', 1),
        }))
        .where('account_id', '=', accountId)
        .where('id', '=', id)
        .executeTakeFirst();
      return result.numUpdatedRows > 0n;
    },
    async touchContent(vaultId, updatedAt) {
      await touch.rows({ vaultId, updatedAt });
    },
    async delete(accountId, id) {
      const result = await db
        .deleteFrom('vaults')
        .where('account_id', '=', accountId)
        .where('id', '=', id)
        .executeTakeFirst();
      return result.numDeletedRows > 0n;
    },
  };
}
