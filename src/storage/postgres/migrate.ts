import { Kysely, PostgresDialect, type PostgresPoolClient } from 'kysely';
import type pg from 'pg';
import { StorageUnavailableError } from '../errors.js';
import { DIALECT_TYPES, knownMigrations } from '../sql/migrations.js';
import { migrate } from '../sql/storage.js';
import type { Database } from '../sql/tables.js';
import { ownConnection } from './connection.js';

/**
 * The key of the session-level advisory lock every node takes before it migrates: "keyhold" in
 * ASCII, read as a number. Any one value shared by every node serves; this one says whose it is
 * in `pg_locks`.
 */
export const MIGRATION_LOCK_KEY = 0x6b6579686f6c64n;

/**
 * Brings the schema up to date while holding the migration lock, so that nodes starting at once
 * against one database (an empty one, or one a release behind) migrate one after the other: the
 * first applies what is missing, each later one finds nothing left to do. The lock is a
 * PostgreSQL advisory lock on a connection of its own, which runs the migrations too, without a
 * statement timeout (a migration may rewrite a large table). A node that dies while migrating
 * loses the connection, and with it the lock, and its migration's transaction rolls back.
 * A schema found up to date (every node's start but the first after a release) is left alone
 * without taking the lock.
 */
export async function migrateLocked(url: string): Promise<void> {
  const client = ownConnection(url);
  try {
    await client.connect();
  } catch (error) {
    throw new StorageUnavailableError(error);
  }
  // The migrator's queries, one at a time, all on this connection.
  const only: PostgresPoolClient = {
    query: ((text: string, parameters: unknown[]) =>
      client.query(text, parameters)) as unknown as PostgresPoolClient['query'],
    release: () => undefined,
  };
  const db = new Kysely<Database>({
    dialect: new PostgresDialect({ pool: { connect: async () => only, end: async () => undefined } }),
  });
  try {
    if (await upToDate(client)) return;
    await client.query(`select pg_advisory_lock(${MIGRATION_LOCK_KEY})`);
    try {
      await migrate(db, DIALECT_TYPES.postgres);
    } finally {
      await client.query(`select pg_advisory_unlock(${MIGRATION_LOCK_KEY})`).catch(() => undefined);
    }
  } finally {
    await db.destroy();
    await client.end().catch(() => undefined);
  }
}

/** Whether the database has applied exactly the migrations this release knows, no more, no fewer. */
async function upToDate(client: pg.Client): Promise<boolean> {
  const known = await knownMigrations();
  const table = await client.query<{ present: boolean }>(
    `select to_regclass('kysely_migration') is not null as present`,
  );
  if (!table.rows[0]?.present) return false;
  const applied = new Set(
    (await client.query<{ name: string }>('select name from kysely_migration')).rows.map((r) => r.name),
  );
  return applied.size === known.length && known.every((name) => applied.has(name));
}
