import BetterSqlite3 from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import type { Storage } from '../ports.js';
import { kyselyStorage, migrate } from '../sql/storage.js';
import type { Database } from '../sql/tables.js';

/**
 * Opens (creating if needed) the embedded SQLite database.
 *
 * - WAL: readers never block the writer.
 * - synchronous=FULL: a commit is on disk before the request that made it is answered, so an
 *   acknowledged write survives a crash or power loss, not only a killed process.
 * - foreign_keys=ON: deleting an account or vault cascades to everything under it.
 */
export async function openSqlite(file: string): Promise<Storage> {
  const database = new BetterSqlite3(file);
  database.pragma('journal_mode = WAL');
  database.pragma('synchronous = FULL');
  database.pragma('foreign_keys = ON');
  database.pragma('busy_timeout = 5000');
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database }) });
  try {
    await migrate(db, { blob: 'blob', serialPrimaryKey: 'integer primary key autoincrement' });
  } catch (error) {
    await db.destroy();
    throw error;
  }
  return kyselyStorage(db);
}
