import { statSync } from 'node:fs';
import BetterSqlite3 from 'better-sqlite3';
import { writeNewFile } from './files.js';
import type { BackupReport } from './report.js';
import { writeSqliteFile } from './sqlite-file.js';
import { verifyBackup } from './verify.js';

/** The most pages better-sqlite3 takes in one step: the whole database. */
const ALL_PAGES = 0x7fffffff;

/**
 * Backs up the SQLite database `source` to the new file `out` with SQLite's online backup API,
 * over a read-only connection of its own: safe while `keyhold serve` writes the database (it
 * needs neither the data directory's lock nor a pause).
 *
 * Every page is copied in one step, inside one read transaction, so the copy is the database as
 * of one commit, WAL and all: every write acknowledged before the step began is in it. (Copied a
 * little at a time, a backup starts over whenever another connection writes, and under a steady
 * load it may never finish.) The copy is then made an ordinary rollback-journal file, so it is a
 * single self-contained file, and verified (verify.ts) before it takes the name `out`.
 */
export async function backupSqlite(source: string, out: string, masterKey: Buffer): Promise<BackupReport> {
  return writeNewFile(out, async (partial) => {
    // Its -wal and -shm are left as they are, even ones this connection made: a service may have
    // started meanwhile and be using them (removing a -shm in use splits its readers from its writer).
    const db = new BetterSqlite3(source, { readonly: true, fileMustExist: true });
    try {
      await db.backup(partial, { progress: () => ALL_PAGES });
    } finally {
      db.close();
    }
    await writeSqliteFile(partial, async ({ raw }) => {
      raw.pragma('journal_mode = DELETE');
    });
    const verified = await verifyBackup(partial, masterKey, out);
    return { file: out, bytes: statSync(partial).size, method: 'sqlite-online-backup', ...verified };
  });
}
