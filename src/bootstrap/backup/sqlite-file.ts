import { closeSync, existsSync, openSync, readSync, statSync, unlinkSync } from 'node:fs';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely } from 'kysely';
import type { Database } from '../../storage/sql/tables.js';
import { betterSqliteDialect } from '../../storage/sqlite/driver.js';
import { BackupError } from './errors.js';

/** A SQLite file open outside the service: Kysely for the stores and the copy, the raw handle. */
export interface SqliteFile {
  db: Kysely<Database>;
  raw: BetterSqlite3.Database;
}

/**
 * Runs `work` over a read-only connection to the backup file `file`, then closes it.
 *
 * A read-only connection to a WAL-mode file creates -wal and -shm files beside it when they are
 * missing; the ones this connection made are removed again (a -wal only when empty), so a look
 * at a file leaves its directory as it was. (Not for the live database, whose -shm a service may
 * be using: backup-sqlite.ts opens that one itself.)
 */
export async function readSqliteFile<T>(file: string, work: (f: SqliteFile) => Promise<T>): Promise<T> {
  const made = [`${file}-wal`, `${file}-shm`].filter((f) => !existsSync(f));
  const raw = new BetterSqlite3(file, { readonly: true, fileMustExist: true });
  const db = new Kysely<Database>({ dialect: betterSqliteDialect(raw).dialect });
  try {
    return await work({ db, raw });
  } finally {
    await db.destroy();
    for (const f of made) if (existsSync(f) && (f.endsWith('-shm') || statSync(f).size === 0)) unlinkSync(f);
  }
}

/** Runs `work` over a writable connection to `file` (created when missing), then closes it. */
export async function writeSqliteFile<T>(file: string, work: (f: SqliteFile) => Promise<T>): Promise<T> {
  const raw = new BetterSqlite3(file);
  const db = new Kysely<Database>({ dialect: betterSqliteDialect(raw).dialect });
  try {
    raw.pragma('foreign_keys = ON');
    raw.pragma('synchronous = FULL');
    return await work({ db, raw });
  } finally {
    await db.destroy();
  }
}

/**
 * SQLite's own check of every page, index and constraint of the file. A damaged or truncated
 * file is refused with what SQLite found; `where` names it in the message.
 */
export function integrityCheck(raw: BetterSqlite3.Database, where: string): void {
  let problems: string[];
  try {
    problems = (raw.pragma('integrity_check') as { integrity_check: string }[]).map((r) => r.integrity_check);
  } catch (error) {
    throw damaged(where, error);
  }
  if (problems.length !== 1 || problems[0] !== 'ok') {
    const shown = problems.slice(0, 3).join('; ');
    throw new BackupError(
      `${where} fails SQLite's integrity check (${shown}${problems.length > 3 ? '; …' : ''}): it is damaged; use another backup`,
    );
  }
}

/** A SQLite error met while reading a backup, as the refusal it is. */
export function damaged(where: string, error: unknown): BackupError {
  const reason = error instanceof Error ? error.message : String(error);
  return new BackupError(
    `${where} cannot be read as a Keyhold backup (${reason}): it is damaged or not a backup`,
    {
      cause: error,
    },
  );
}

/**
 * Refuses a database file in WAL mode: `keyhold backup` writes rollback-journal files, so this is
 * a copy of a service's keyhold.db, and whatever its -wal file held is not in it (nothing in the
 * file says whether that was nothing or the last hour of writes).
 */
export function refuseWalFile(file: string, where: string): void {
  const header = Buffer.alloc(20);
  const fd = openSync(file, 'r');
  try {
    readSync(fd, header, 0, header.length, 0);
  } finally {
    closeSync(fd);
  }
  // Bytes 18 and 19 of the header: the file format versions, 2 for WAL.
  if (header.subarray(0, 16).toString('latin1') === 'SQLite format 3\0' && header[18] === 2) {
    throw new BackupError(
      `${where} is a database in WAL mode, not a file keyhold backup wrote: a copy of a service's keyhold.db lacks whatever was still in its -wal file; make backups with keyhold backup (a stopped service's keyhold.db needs no restore: serve its data directory with its master key)`,
    );
  }
}
