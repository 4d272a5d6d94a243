import type { Kysely } from 'kysely';
import type {
  FileRecord,
  ItemRecord,
  ItemRow,
  ItemStore,
  ItemVersionRecord,
  TrashedItemRow,
} from '../ports.js';
import { precompiled, precompiledInsert, type RunIfFree } from './precompiled.js';
import type { Database } from './tables.js';

/** `runIfFree`: for the store of `db` itself, not of a transaction (see precompiled.ts). */
export function itemStore(db: Kysely<Database>, runIfFree?: RunIfFree): ItemStore {
  // Every item write runs these: compiled once per set of stores (see precompiled.ts).
  const insertItemRow = precompiledInsert(
    db,
    'items',
    ['id', 'vault_id', 'account_id', 'version', 'created_at', 'updated_at', 'last_edited_by', 'head'],
    runIfFree,
  );
  const insertVersionRow = precompiledInsert(
    db,
    'item_versions',
    ['item_id', 'version', 'overview', 'content', 'layout', 'created_at', 'edited_by', 'mac'],
    runIfFree,
  );
  const insertVersion = (v: ItemVersionRecord) =>
    insertVersionRow({
      item_id: v.itemId,
      version: v.version,
      overview: v.overview,
      content: v.content,
      layout: v.layout,
      created_at: v.createdAt,
      edited_by: v.editedBy,
      mac: v.mac,
    });

  // The current content is the version row the item points at; there is no second copy. Whether
  // a later version is stored comes with it (one primary-key probe in the same statement): only
  // a row pointed back at an older version has one (domain/items/heads.ts).
  // Every read of a current item sees only the items outside the trash; `trashed` reads the others.
  const current = (trashed = false) =>
    db
      .selectFrom('items')
      .innerJoin('item_versions', (join) =>
        join
          .onRef('item_versions.item_id', '=', 'items.id')
          .onRef('item_versions.version', '=', 'items.version'),
      )
      .selectAll('items')
      .select(['item_versions.overview', 'item_versions.layout'])
      .select((eb) =>
        eb
          .exists(
            eb
              .selectFrom('item_versions as later')
              .select(eb.lit(1).as('one'))
              .whereRef('later.item_id', '=', 'items.id')
              .whereRef('later.version', '>', 'items.version'),
          )
          .as('has_later_version'),
      )
      .where('items.deleted_at', trashed ? 'is not' : 'is', null);

  // Every secret read runs one of these two: compiled once (see precompiled.ts).
  const currentOf = (withContent: boolean) =>
    precompiled<'vaultId' | 'id', CurrentRow>(
      db,
      (p) => {
        const query = current().where('items.vault_id', '=', p('vaultId')).where('items.id', '=', p('id'));
        return withContent ? query.select('item_versions.content') : query;
      },
      runIfFree,
    );
  const withContent = currentOf(true);
  const withoutContent = currentOf(false);

  // A view of an item reads its files too: joined in, one statement instead of two on every
  // secret read. An item without files yields one row with null file columns; one with files, a
  // row per file (repeating the item's parts, which is cheap for the few files an item has).
  const withFiles = precompiled<'vaultId' | 'id', ViewRow>(
    db,
    (p) =>
      current()
        .select('item_versions.content')
        .leftJoin('files', 'files.item_id', 'items.id')
        .select([
          'files.id as file_id',
          'files.vault_id as file_vault_id',
          'files.meta as file_meta',
          'files.size as file_size',
          'files.created_at as file_created_at',
        ])
        .where('items.vault_id', '=', p('vaultId'))
        .where('items.id', '=', p('id'))
        .orderBy('files.created_at'),
    runIfFree,
  );

  const toRow = (r: CurrentRow): ItemRow => ({
    ...itemRecordOf(r),
    hasLaterVersion: Boolean(r.has_later_version),
    overview: r.overview,
    layout: r.layout,
    ...(r.content ? { content: r.content } : {}),
  });
  const toTrashed = (r: CurrentRow): TrashedItemRow => ({
    ...toRow(r),
    deletedAt: r.deleted_at as string,
    deletedBy: r.deleted_by as string,
  });
  const toVersion = (r: Database['item_versions']): ItemVersionRecord => ({
    itemId: r.item_id,
    version: r.version,
    overview: r.overview,
    content: r.content,
    layout: r.layout,
    createdAt: r.created_at,
    editedBy: r.edited_by,
    mac: r.mac,
  });

  return {
    async insert(item, first) {
      await insertItemRow({
        id: item.id,
        vault_id: item.vaultId,
        account_id: item.accountId,
        version: item.version,
        created_at: item.createdAt,
        updated_at: item.updatedAt,
        last_edited_by: item.lastEditedBy,
        head: item.head,
      });
      await insertVersion(first);
    },
    async get(vaultId, id, content) {
      const row = await (content ? withContent : withoutContent).first({ vaultId, id });
      return row && toRow(row);
    },
    async getWithFiles(vaultId, id) {
      const rows = await withFiles.rows({ vaultId, id });
      const first = rows[0];
      if (!first) return undefined;
      const files: FileRecord[] = [];
      for (const r of rows) {
        if (r.file_id === null) continue;
        files.push({
          id: r.file_id,
          itemId: r.id,
          vaultId: r.file_vault_id,
          meta: r.file_meta,
          size: r.file_size,
          createdAt: r.file_created_at,
        });
      }
      return { item: toRow(first), files };
    },
    async list(vaultId) {
      const rows = await current()
        .where('items.vault_id', '=', vaultId)
        .orderBy('items.created_at')
        .execute();
      return rows.map(toRow);
    },
    async update(item: ItemRecord, expectedVersion, next) {
      const result = await db
        .updateTable('items')
        .set({
          version: item.version,
          updated_at: item.updatedAt,
          last_edited_by: item.lastEditedBy,
          head: item.head,
        })
        .where('id', '=', item.id)
        .where('vault_id', '=', item.vaultId)
        .where('version', '=', expectedVersion)
        .executeTakeFirst();
      if (result.numUpdatedRows === 0n) return false;
      await insertVersion(next);
      return true;
    },
    async trash(vaultId, id, at, by) {
      const result = await db
        .updateTable('items')
        .set({ deleted_at: at, deleted_by: by })
        .where('vault_id', '=', vaultId)
        .where('id', '=', id)
        .where('deleted_at', 'is', null)
        .executeTakeFirst();
      return result.numUpdatedRows > 0n;
    },
    async untrash(vaultId, id) {
      const result = await db
        .updateTable('items')
        .set({ deleted_at: null, deleted_by: null })
        .where('vault_id', '=', vaultId)
        .where('id', '=', id)
        .where('deleted_at', 'is not', null)
        .executeTakeFirst();
      return result.numUpdatedRows > 0n;
    },
    async getTrashed(vaultId, id) {
      const row = await current(true)
        .where('items.vault_id', '=', vaultId)
        .where('items.id', '=', id)
        .executeTakeFirst();
      return row && toTrashed(row);
    },
    async listTrash(vaultId) {
      const rows = await current(true)
        .where('items.vault_id', '=', vaultId)
        .orderBy('items.deleted_at', 'desc')
        .orderBy('items.id')
        .execute();
      return rows.map(toTrashed);
    },
    async delete(vaultId, id) {
      const result = await db
        .deleteFrom('items')
        .where('vault_id', '=', vaultId)
        .where('id', '=', id)
        .executeTakeFirst();
      return result.numDeletedRows > 0n;
    },
    async versions(itemId) {
      const rows = await db
        .selectFrom('item_versions')
        .selectAll()
        .where('item_id', '=', itemId)
        .orderBy('version', 'desc')
        .execute();
      return rows.map(toVersion);
    },
    async getVersion(itemId, version) {
      const row = await db
        .selectFrom('item_versions')
        .selectAll()
        .where('item_id', '=', itemId)
        .where('version', '=', version)
        .executeTakeFirst();
      return row && toVersion(row);
    },
    async withoutHeads() {
      const rows = await db
        .selectFrom('items')
        .selectAll()
        .select((eb) =>
          eb
            .selectFrom('item_versions')
            .select((v) => v.fn.max('item_versions.version').as('latest'))
            .whereRef('item_versions.item_id', '=', 'items.id')
            .as('latest_version'),
        )
        .where('head', 'is', null)
        .execute();
      return rows.map((r) => ({
        ...itemRecordOf(r),
        latestVersion: Number(r.latest_version ?? 0),
      }));
    },
    async setHead(itemId, head) {
      await db.updateTable('items').set({ head }).where('id', '=', itemId).execute();
    },
    async versionsWithoutMacs() {
      const rows = await db
        .selectFrom('item_versions')
        .innerJoin('items', 'items.id', 'item_versions.item_id')
        .selectAll('item_versions')
        .select(['items.account_id', 'items.vault_id'])
        .where('item_versions.mac', 'is', null)
        .execute();
      return rows.map((r) => ({ ...toVersion(r), accountId: r.account_id, vaultId: r.vault_id }));
    },
    async setVersionMac(itemId, version, mac) {
      await db
        .updateTable('item_versions')
        .set({ mac })
        .where('item_id', '=', itemId)
        .where('version', '=', version)
        .execute();
    },
  };
}

/** An item's row as stored (a Connect node's replica keeps the same). */
export const itemRecordOf = (r: Omit<Database['items'], 'deleted_at' | 'deleted_by'>): ItemRecord => ({
  id: r.id,
  vaultId: r.vault_id,
  accountId: r.account_id,
  version: r.version,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
  lastEditedBy: r.last_edited_by,
  head: r.head,
});

type CurrentRow = Database['items'] & {
  overview: Buffer;
  layout: number;
  has_later_version: number | boolean;
  content?: Buffer;
};

/** A row of an item view: the item, its current version, and one of its files (all null if none). */
type ViewRow = CurrentRow & { content: Buffer } & (
    | { file_id: null }
    | {
        file_id: string;
        file_vault_id: string;
        file_meta: Buffer;
        file_size: number;
        file_created_at: string;
      }
  );
