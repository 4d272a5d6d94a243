import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { connectionConfig } from '../../storage/postgres/pool.js';
import type { Database } from '../../storage/sql/tables.js';

/**
 * Runs `work` over a small pool of its own to the PostgreSQL database at `url`, as it is: unlike
 * openPostgres, nothing is migrated (a backup reads the schema version the database is at; a
 * restore migrates once it knows the database is empty). Connections are made as the service
 * makes them (connectionConfig), but without its statement timeout: an export or a restore of a
 * large database is one long transaction.
 */
export async function withPostgres<T>(url: string, work: (db: Kysely<Database>) => Promise<T>): Promise<T> {
  const pool = new pg.Pool({ ...connectionConfig(url), max: 2, application_name: 'keyhold backup' });
  // A connection that breaks (a restarted server, an idle connection ended by a pooler or an
  // administrator) must not crash the process: `pg` emits 'error' on the pool for an idle one and
  // on the client for one in use. A query on it fails and says so; one no longer needed (the
  // export has read everything) costs nothing.
  pool.on('error', () => undefined);
  pool.on('connect', (client) => client.on('error', () => undefined));
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  try {
    return await work(db);
  } finally {
    await db.destroy();
  }
}
