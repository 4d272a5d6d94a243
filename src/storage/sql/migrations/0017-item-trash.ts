import type { Kysely, Migration } from 'kysely';

/**
 * The vault's trash: `items.deleted_at` and `deleted_by` are set while an item is in it. A
 * trashed item keeps its row, versions and files; every read of items (the admin API, Connect, a
 * node's replica, the vault's item count) sees only rows where `deleted_at` is null. Undeleting
 * clears both; deleting permanently removes the row as before.
 */
export const itemTrash: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema.alterTable('items').addColumn('deleted_at', 'text').execute();
    await db.schema.alterTable('items').addColumn('deleted_by', 'text').execute();
  },
};
