import type { Kysely } from 'kysely';
import type { FileRecord, FileStore } from '../ports.js';
import { precompiled } from './precompiled.js';
import type { Database } from './tables.js';

const columns = ['id', 'item_id', 'vault_id', 'meta', 'size', 'created_at'] as const;

/** A file's row without its content, as stored (a Connect node's replica keeps the same). */
export type FileRow = Pick<Database['files'], (typeof columns)[number]>;

export const fileRecordOf = (r: FileRow): FileRecord => ({
  id: r.id,
  itemId: r.item_id,
  vaultId: r.vault_id,
  meta: r.meta,
  size: r.size,
  createdAt: r.created_at,
});

export function fileStore(db: Kysely<Database>): FileStore {
  // Every item view lists the item's files: compiled once (see precompiled.ts).
  const listByItem = precompiled<'itemId', FileRow>(db, (p) =>
    db.selectFrom('files').select(columns).where('item_id', '=', p('itemId')).orderBy('created_at'),
  );
  return {
    async insert(f, content) {
      await db
        .insertInto('files')
        .values({
          id: f.id,
          item_id: f.itemId,
          vault_id: f.vaultId,
          meta: f.meta,
          size: f.size,
          content,
          created_at: f.createdAt,
        })
        .execute();
    },
    async list(itemId) {
      return (await listByItem.rows({ itemId })).map(fileRecordOf);
    },
    async get(itemId, id) {
      const row = await db
        .selectFrom('files')
        .select(columns)
        .where('item_id', '=', itemId)
        .where('id', '=', id)
        .executeTakeFirst();
      return row && fileRecordOf(row);
    },
    async content(itemId, id) {
      const row = await db
        .selectFrom('files')
        .select('content')
        .where('item_id', '=', itemId)
        .where('id', '=', id)
        .executeTakeFirst();
      return row?.content;
    },
    async delete(itemId, id) {
      const result = await db
        .deleteFrom('files')
        .where('item_id', '=', itemId)
        .where('id', '=', id)
        .executeTakeFirst();
      return result.numDeletedRows > 0n;
    },
    async all() {
      const rows = await db
        .selectFrom('files')
        .innerJoin('vaults', 'vaults.id', 'files.vault_id')
        .select(columns.map((c) => `files.${c}` as const))
        .select('vaults.account_id')
        .execute();
      return rows.map((r) => ({ ...fileRecordOf(r), accountId: r.account_id }));
    },
    async setMeta(id, meta) {
      await db.updateTable('files').set({ meta }).where('id', '=', id).execute();
    },
  };
}
