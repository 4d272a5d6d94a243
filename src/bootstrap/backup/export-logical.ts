import { statSync } from 'node:fs';
import type { Kysely } from 'kysely';
import { dialectOf } from '../../storage/sql/dialect.js';
import { DIALECT_TYPES } from '../../storage/sql/migrations.js';
import type { Database } from '../../storage/sql/tables.js';
import { copyTables, expectSameRows } from './copy-tables.js';
import { writeNewFile } from './files.js';
import type { BackupReport } from './report.js';
import { appliedMigrations, migrateTo, schemaState } from './schema-version.js';
import { sealBackupFile } from './seal.js';
import { writeSqliteFile } from './sqlite-file.js';
import { verifyBackup } from './verify.js';

/**
 * Exports the Keyhold database `source` (PostgreSQL, or any dialect) to the new SQLite file
 * `out`: the file is migrated to the source's schema version, then every table is copied in
 * foreign-key order (copy-tables.ts) from one snapshot of the source, so the backup has the one
 * format `keyhold backup` writes on SQLite too. Verified (verify.ts), the rows it holds checked
 * against the rows read, and sealed (seal.ts) before it takes the name `out`.
 */
export async function exportLogical(
  source: Kysely<Database>,
  out: string,
  masterKey: Buffer,
): Promise<BackupReport> {
  return writeNewFile(out, async (partial) => {
    const copied = await readSnapshot(source, async (snapshot) => {
      const applied = await appliedMigrations(snapshot);
      await schemaState(applied, 'the source database');
      return writeSqliteFile(partial, async ({ db: target }) => {
        await migrateTo(target, DIALECT_TYPES.sqlite, applied.at(-1) as string);
        return target.transaction().execute((trx) => copyTables(snapshot, trx));
      });
    });
    const verified = await verifyBackup(partial, masterKey, out);
    expectSameRows(copied, verified.tables, out);
    sealBackupFile(partial, masterKey);
    return { file: out, bytes: statSync(partial).size, method: 'logical-export', ...verified };
  });
}

/**
 * Runs `work` on one consistent view of `db`: on PostgreSQL a REPEATABLE READ, READ ONLY
 * transaction (a snapshot that never blocks the nodes writing). A SQLite source is read as it is:
 * the live SQLite database is backed up with backupSqlite instead.
 */
function readSnapshot<T>(db: Kysely<Database>, work: (snapshot: Kysely<Database>) => Promise<T>): Promise<T> {
  if (dialectOf(db) !== 'postgres') return work(db);
  return db.transaction().setIsolationLevel('repeatable read').setAccessMode('read only').execute(work);
}
