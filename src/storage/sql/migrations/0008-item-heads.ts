import { type Kysely, type Migration, sql } from 'kysely';
import { ITEM_HEADS_PENDING } from '../../ports.js';
import type { DialectTypes } from './dialect-types.js';

/**
 * Item heads (domain/items/heads.ts): a MAC per item row over its current version and metadata,
 * a MAC per version over its metadata, and (in the sealed file metadata, no column) each file's
 * size and time. A migration has no key to compute them with, so the rows already stored get
 * theirs on the next start that has the master key (domain/items/upgrade-heads.ts), once. What
 * decides that is the master key check (bootstrap/data-dir.ts), not the marker written here: the
 * marker only records that this step found items without heads (none in an empty database), and
 * the upgrade removes it; nothing reads it, so one put back changes nothing.
 */
export const itemHeads = (t: DialectTypes): Migration => ({
  async up(db: Kysely<unknown>) {
    await db.schema.alterTable('items').addColumn('head', t.blob).execute();
    await db.schema.alterTable('item_versions').addColumn('mac', t.blob).execute();
    await sql`insert into meta (key, value) select ${ITEM_HEADS_PENDING}, '0008' where exists (select 1 from items)`.execute(
      db,
    );
  },
});
