import type { Kysely, Migration } from 'kysely';

/**
 * A read of an item opens one sealed value instead of two: from now on a version's `content`
 * holds its overview and details sealed together (layout 2), and `overview` repeats the overview
 * alone for lists. The versions already stored keep layout 1, where `content` (the former
 * `details` column) holds the details alone; both are read (domain/items/sealing.ts).
 */
export const itemContentTogether: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema.alterTable('item_versions').renameColumn('details', 'content').execute();
    await db.schema
      .alterTable('item_versions')
      .addColumn('layout', 'integer', (c) => c.notNull().defaultTo(1))
      .execute();
  },
};
