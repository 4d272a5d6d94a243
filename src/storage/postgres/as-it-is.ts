import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import type { Database } from '../sql/tables.js';
import { connectionConfig } from './connection.js';

/**
 * The PostgreSQL database at `url` as it is, for the commands that read or fill it outside the
 * service (`keyhold backup`, `keyhold restore`): unlike openPostgres, nothing is migrated (a
 * backup reads the schema version the database is at; a restore migrates once it knows the
 * database is empty) and nothing listens for changes. A small pool of its own, its connections
 * configured as every Keyhold connection is (connection.ts) and named `name`.
 */
export function openPostgresAsItIs(url: string, name = 'keyhold backup'): Kysely<Database> {
  const pool = new pg.Pool({ ...connectionConfig(url, name), max: 2 });
  // A connection that breaks (a restarted server, an idle connection ended by a pooler or an
  // administrator) must not crash the process: `pg` emits 'error' on the pool for an idle one and
  // on the client for one in use. A query on it fails and says so; one no longer needed (the
  // export has read everything) costs nothing.
  pool.on('error', () => undefined);
  pool.on('connect', (client) => client.on('error', () => undefined));
  return new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
}

/** Runs `work` over openPostgresAsItIs(url), then closes it. */
export async function withPostgresAsItIs<T>(
  url: string,
  work: (db: Kysely<Database>) => Promise<T>,
): Promise<T> {
  const db = openPostgresAsItIs(url);
  try {
    return await work(db);
  } finally {
    await db.destroy();
  }
}
