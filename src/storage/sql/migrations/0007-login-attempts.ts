import type { Kysely, Migration } from 'kysely';
import type { DialectTypes } from './dialect-types.js';

/**
 * The login throttle's counts, in the database so that an attempt is reserved atomically before
 * its password is checked and every node sees the same counts. Keys are SHA-256 hashes; rows
 * expire (`expires_at`, indexed for the purge). Times are epoch milliseconds: 64-bit.
 */
export const loginAttempts = (t: DialectTypes): Migration => ({
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('login_attempts')
      .addColumn('key', t.blob, (c) => c.primaryKey())
      .addColumn('failures', 'integer', (c) => c.notNull())
      .addColumn('locked_until', 'bigint', (c) => c.notNull())
      .addColumn('expires_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('login_attempts_expires').on('login_attempts').column('expires_at').execute();
  },
});
