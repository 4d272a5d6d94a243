import { type Kysely, type Migration, sql } from 'kysely';
import type { DialectTypes } from './dialect-types.js';

/**
 * What several central nodes on one database must share beyond the data itself:
 *
 * - `change_counter`: one row, bumped by every transaction that announces a change to what
 *   processes keep in memory (ports/changes.ts). It moves exactly when such a transaction
 *   commits, so a node that missed a notification sees it move on its next poll. Only the
 *   PostgreSQL backend bumps it; on SQLite one process is the only writer and announces in
 *   memory, and the row stays at 0.
 * - `oauth_used_jtis`: the client-assertion `jti`s already used (RFC 7523 §3), by SHA-256 of
 *   client id and `jti`, until the assertion could no longer be accepted (indexed for the
 *   purge). Times are epoch milliseconds: 64-bit.
 */
export const sharedNodeState = (t: DialectTypes): Migration => ({
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('change_counter')
      .addColumn('id', 'integer', (c) => c.primaryKey())
      .addColumn('value', 'bigint', (c) => c.notNull())
      .execute();
    await sql`insert into change_counter (id, value) values (1, 0)`.execute(db);
    await db.schema
      .createTable('oauth_used_jtis')
      .addColumn('key', t.blob, (c) => c.primaryKey())
      .addColumn('expires_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('oauth_used_jtis_expires')
      .on('oauth_used_jtis')
      .column('expires_at')
      .execute();
  },
});
