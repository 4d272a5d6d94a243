import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import type { Database } from '../../storage/sql/tables.js';

/**
 * Runs `work` over a small pool of its own to the PostgreSQL database at `url`, as it is: unlike
 * openPostgres, nothing is migrated (a backup reads the schema version the database is at; a
 * restore migrates once it knows the database is empty).
 */
export async function withPostgres<T>(url: string, work: (db: Kysely<Database>) => Promise<T>): Promise<T> {
  const pool = new pg.Pool({ connectionString: url, max: 2, application_name: 'keyhold backup' });
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  try {
    return await work(db);
  } finally {
    await db.destroy();
  }
}
