import { statSync } from 'node:fs';
import BetterSqlite3 from 'better-sqlite3';
import { Keyring } from '../../crypto/keyring.js';
import { ProcessError } from '../../errors/process-error.js';
import { KEY_CHECK } from '../../storage/backend.js';
import { knownMigrations } from '../../storage/sql/migrations.js';
import { openKeyCheck } from '../store.js';
import { writeNewFile } from './files.js';
import type { BackupReport } from './report.js';
import { schemaProblems } from './schema-check.js';
import { sealBackupFile } from './seal.js';
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
 * single self-contained file, verified (verify.ts) and sealed (seal.ts) before it takes the name `out`. The
 * master key is checked against the source first, on the same connection.
 */
export async function backupSqlite(source: string, out: string, masterKey: Buffer): Promise<BackupReport> {
  // Its -wal and -shm are left as they are, even ones this connection made: a service may have
  // started meanwhile and be using them (removing a -shm in use splits its readers from its writer).
  const db = new BetterSqlite3(source, { readonly: true, fileMustExist: true });
  try {
    checkKey(db, source, masterKey);
    await checkSchema(db, source);
    return await writeNewFile(out, async (partial) => {
      await db.backup(partial, { progress: () => ALL_PAGES });
      await writeSqliteFile(partial, async ({ raw }) => {
        raw.pragma('journal_mode = DELETE');
      });
      const verified = await verifyBackup(partial, masterKey, out);
      sealBackupFile(partial, masterKey);
      return { file: out, bytes: statSync(partial).size, method: 'sqlite-online-backup', ...verified };
    });
  } finally {
    db.close();
  }
}

/** The master key opens the source's key check: a backup job with the wrong key writes nothing. */
function checkKey(db: BetterSqlite3.Database, source: string, masterKey: Buffer): void {
  let row: { value: string } | undefined;
  try {
    row = db.prepare('select value from meta where key = ?').get(KEY_CHECK) as { value: string } | undefined;
  } catch (error) {
    throw new ProcessError(
      'command_failed',
      `cannot read ${source}: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  if (!row)
    throw new ProcessError('command_failed', `${source} is not a Keyhold database (no master key check)`);
  openKeyCheck(new Keyring(masterKey), row.value, { location: source });
}

/**
 * The source holds Keyhold's schema only. Something added to it by hand (an index, a trigger, a
 * table) would be copied into the backup, which a restore refuses: said now, of the database,
 * rather than of the backup once written. A schema this build does not know is left to the
 * verification of the copy.
 */
async function checkSchema(db: BetterSqlite3.Database, source: string): Promise<void> {
  const applied = (
    db.prepare('select name from kysely_migration order by name').all() as { name: string }[]
  ).map((row) => row.name);
  const version = applied.at(-1);
  if (version === undefined || !(await knownMigrations()).includes(version)) return;
  const problems = await schemaProblems(db, version);
  if (problems)
    throw new ProcessError(
      'command_failed',
      `${source} has a schema that is not Keyhold's ${version}: ${problems}; a backup holds Keyhold's schema only, and a restore refuses anything else: remove what was added to the database, then back it up`,
    );
}
