import { existsSync, mkdirSync, statSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { type Backend, type Found, KEY_CHECK } from '../backend.js';
import { lockDataDir } from './data-dir-lock.js';
import { openSqlite } from './open.js';

export const DATABASE_FILE = 'keyhold.db';
export const databasePath = (dataDir: string) => join(dataDir, DATABASE_FILE);

/** The embedded default: `keyhold.db` in the data directory, held by one process at a time. */
export function sqliteBackend(dataDir: string): Backend {
  const file = databasePath(dataDir);
  return {
    kind: 'sqlite',
    location: file,
    hold: () => lockDataDir(dataDir),
    inspect: async () => inspectSqlite(file),
    open: async () => {
      mkdirSync(dataDir, { recursive: true, mode: 0o700 });
      return openSqlite(file);
    },
  };
}

/**
 * Reads the key check through a read-only connection: nothing, not even a migration, touches the
 * database before the master key is known to be the right one. A database file that exists
 * without a key check is not taken for an empty one: it is someone else's, or a damaged one.
 */
function inspectSqlite(file: string): Found {
  if (!existsSync(file)) return { kind: 'nothing' };
  // A read-only connection to a WAL database still creates empty -wal/-shm files; remove the ones
  // this check made, so a refused start leaves the directory exactly as it found it.
  const sidecars = [`${file}-wal`, `${file}-shm`].filter((f) => !existsSync(f));
  let db: BetterSqlite3.Database | undefined;
  try {
    db = new BetterSqlite3(file, { readonly: true, fileMustExist: true });
    const row = db.prepare('select value from meta where key = ?').get(KEY_CHECK) as
      | { value: string }
      | undefined;
    return row
      ? { kind: 'keyhold', keyCheck: row.value }
      : { kind: 'other', why: `${file} is not a Keyhold database (no master key check)` };
  } catch (error) {
    return {
      kind: 'other',
      why: `cannot read ${file}: ${error instanceof Error ? error.message : String(error)}`,
    };
  } finally {
    db?.close();
    for (const f of sidecars)
      if (existsSync(f) && (f.endsWith('-shm') || statSync(f).size === 0)) unlinkSync(f);
  }
}
