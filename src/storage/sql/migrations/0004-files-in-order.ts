import type { Kysely, Migration } from 'kysely';

/**
 * Every view of an item lists its files in upload order: an index in that order serves it
 * without sorting. It replaces the index on `item_id` alone, whose lookups it serves as well.
 */
export const filesInOrder: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createIndex('files_item_created')
      .on('files')
      .columns(['item_id', 'created_at'])
      .execute();
    await db.schema.dropIndex('files_item').execute();
  },
};
