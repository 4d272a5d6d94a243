import { existsSync, statSync, unlinkSync } from 'node:fs';
import BetterSqlite3 from 'better-sqlite3';

/**
 * Runs `work` on a read-only connection to an existing SQLite file, then closes it.
 *
 * A read-only connection to a WAL database still creates empty -wal/-shm files when they are
 * missing; the ones this connection made are removed again (an -shm always, a -wal when empty), so
 * a look at a file leaves its directory exactly as it found it. A -wal that was there before, with
 * a running service's commits in it, is read and left alone.
 */
export function readOnlySqlite<T>(file: string, work: (db: BetterSqlite3.Database) => T): T {
  const sidecars = [`${file}-wal`, `${file}-shm`].filter((f) => !existsSync(f));
  const db = new BetterSqlite3(file, { readonly: true, fileMustExist: true });
  try {
    return work(db);
  } finally {
    db.close();
    removeSidecars(sidecars);
  }
}

/** The async form: `work` may await (a Kysely over `db`, the backup API). */
export async function readOnlySqliteAsync<T>(
  file: string,
  work: (db: BetterSqlite3.Database) => Promise<T>,
): Promise<T> {
  const sidecars = [`${file}-wal`, `${file}-shm`].filter((f) => !existsSync(f));
  const db = new BetterSqlite3(file, { readonly: true, fileMustExist: true });
  try {
    return await work(db);
  } finally {
    if (db.open) db.close();
    removeSidecars(sidecars);
  }
}

function removeSidecars(made: string[]): void {
  for (const f of made) if (existsSync(f) && (f.endsWith('-shm') || statSync(f).size === 0)) unlinkSync(f);
}
