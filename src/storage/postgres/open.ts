import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import type { Storage } from '../ports.js';
import type { DialectTypes } from '../sql/migrations.js';
import { kyselyStorage, migrate } from '../sql/storage.js';
import type { Database } from '../sql/tables.js';

/** The migrations' type names on PostgreSQL. */
export const POSTGRES_TYPES: DialectTypes = { blob: 'bytea', serialPrimaryKey: 'bigserial primary key' };

/**
 * Opens a PostgreSQL database shared by any number of central nodes: a pool of connections, each
 * transaction on a connection of its own.
 */
export async function openPostgres(url: string): Promise<Storage> {
  const pool = new pg.Pool({ connectionString: url });
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  try {
    await migrate(db, POSTGRES_TYPES);
  } catch (error) {
    await db.destroy();
    throw error;
  }
  return kyselyStorage(db);
}
