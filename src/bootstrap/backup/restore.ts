import { existsSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { type Kysely, sql } from 'kysely';
import { dialectOf, migrationTypes } from '../../storage/sql/dialect.js';
import { knownMigrations } from '../../storage/sql/migrations.js';
import { startNodeStateAfresh } from '../../storage/sql/node-state.js';
import { migrate } from '../../storage/sql/storage.js';
import { TABLES_IN_FOREIGN_KEY_ORDER } from '../../storage/sql/table-order.js';
import type { Database } from '../../storage/sql/tables.js';
import { DATABASE_FILE, databasePath } from '../../storage/sqlite/backend.js';
import { DataDirInUseError, lockDataDir } from '../../storage/sqlite/data-dir-lock.js';
import { copyTables, countRows, expectSameRows, tablesOf } from './copy-tables.js';
import { BackupError, RestoreTargetError } from './errors.js';
import { placeNewFile, withTempDir } from './files.js';
import type { RestoreReport } from './report.js';
import { appliedMigrations } from './schema-version.js';
import { copyUnsealed, expectSealed } from './seal.js';
import { resetSerials } from './serials.js';
import { readSqliteFile, writeSqliteFile } from './sqlite-file.js';
import { type Inspected, inspectBackup, migrateSqliteFile, verifyBackup, verifyDatabase } from './verify.js';

/**
 * Restores the backup `file` into the SQLite data directory `dataDir`, which must hold no
 * database yet. It holds the data directory's lock meanwhile, so it is refused while a service
 * runs on the directory, and no service starts on it half-way. The backup is copied next to the
 * database's place (read once: everything after looks at the copy), inspected, its seal checked
 * (seal.ts), migrated when an earlier Keyhold wrote it, and verified there; only then does it take
 * the database's name (it never replaces a file), and it is verified again. A refusal leaves the
 * directory as it was.
 */
export async function restoreSqlite(
  dataDir: string,
  file: string,
  masterKey: Buffer,
): Promise<RestoreReport> {
  const target = databasePath(dataDir);
  refuseInitialized(dataDir);
  readable(file);
  let lock: ReturnType<typeof lockDataDir>;
  try {
    lock = lockDataDir(dataDir);
  } catch (error) {
    if (error instanceof DataDirInUseError)
      throw new DataDirInUseError(
        `${dataDir} is in use by a running keyhold service; a restore goes into an empty data directory that no service runs on: stop it, or restore into another --data-dir`,
      );
    throw error;
  }
  try {
    refuseInitialized(dataDir);
    // Ours to replace: an interrupted restore's, and nobody else restores while we hold the lock.
    const temp = join(dataDir, `${DATABASE_FILE}.restoring`);
    rmSync(temp, { force: true });
    let inspected: Inspected;
    try {
      const seal = copyUnsealed(file, temp, masterKey);
      inspected = await inspectBackup(temp, masterKey, file);
      expectSealed(seal, file);
      if (inspected.schema === 'older') await migrateSqliteFile(temp);
      // Copied whole, the file holds the node state of the database it was taken from.
      await writeSqliteFile(temp, ({ db }) => startNodeStateAfresh(db));
      const before = await verifyBackup(temp, masterKey, file);
      expectSameContent(inspected, before, file);
      placeNewFile(temp, target, () => targetError(dataDir));
    } finally {
      rmSync(temp, { force: true });
      rmSync(`${temp}-journal`, { force: true });
    }
    try {
      const after = await verifyBackup(target, masterKey);
      expectSameContent(inspected, after, target);
      return report(file, target, inspected, after);
    } catch (error) {
      // Refused: nothing restored. No service has seen it: the lock is still held.
      rmSync(target, { force: true });
      throw error;
    }
  } finally {
    lock.release();
  }
}

/**
 * Restores the backup `file` into the Keyhold database `target` (PostgreSQL, or any dialect),
 * which must hold no Keyhold rows. The backup is copied into a private temporary directory (read
 * once: everything after looks at the copy), inspected, its seal checked (seal.ts), migrated
 * there when an earlier Keyhold wrote it, and verified; then the target is migrated to this build's
 * schema, every row copied in one transaction (all or nothing), the serial sequences moved past
 * the copied ids, and the result verified against the backup. `where` names the target.
 */
export async function restoreInto(
  target: Kysely<Database>,
  file: string,
  masterKey: Buffer,
  where = 'the target database',
): Promise<RestoreReport> {
  readable(file);
  return withTempDir(async (dir) => {
    const current = join(dir, 'backup.db');
    const seal = copyUnsealed(file, current, masterKey);
    const inspected = await inspectBackup(current, masterKey, file);
    expectSealed(seal, file);
    await refuseNonEmpty(target, where);
    if (inspected.schema === 'older') await migrateSqliteFile(current);
    const before = await verifyBackup(current, masterKey, file);
    expectSameContent(inspected, before, file);
    await migrate(target, migrationTypes(target));
    const copied = await readSqliteFile(current, ({ db: source }) =>
      target.transaction().execute(async (trx) => {
        if (dialectOf(trx) === 'postgres') {
          // Nothing else writes these tables until the copy commits; then they are checked again.
          const tables = (await tablesOf(trx)).map((t) => sql.table(t.name));
          await sql`lock table ${sql.join(tables)} in exclusive mode`.execute(trx);
        }
        await refuseNonEmpty(trx, where);
        const rows = await copyTables(source, trx);
        await resetSerials(trx);
        return rows;
      }),
    );
    const after = await verifyDatabase(target, masterKey, where);
    expectSameRows(copied, after.tables, where);
    expectSameContent(inspected, after, where);
    return report(file, where, inspected, after);
  });
}

const targetError = (dataDir: string) =>
  new RestoreTargetError(
    `${dataDir} already holds a Keyhold database (${DATABASE_FILE}); a restore goes into an empty data directory only: move that database away first, or restore into another --data-dir`,
  );

/**
 * Refuses a data directory that holds a database (a restore never replaces one), or the files
 * SQLite keeps beside one: a -wal (or -journal) left by a database moved away after a crash holds
 * its last writes, and SQLite would play it into the restored database as its own.
 */
export function refuseInitialized(dataDir: string): void {
  const target = databasePath(dataDir);
  if (existsSync(target)) throw targetError(dataDir);
  const left = ['-wal', '-shm', '-journal'].map((suffix) => `${DATABASE_FILE}${suffix}`);
  const found = left.filter((name) => existsSync(join(dataDir, name)));
  if (found.length > 0)
    throw new RestoreTargetError(
      `${dataDir} holds ${found.join(', ')}, left by a database that was moved away (its last writes may be in it): a restored database would take it as its own; move it along with that database, then restore`,
    );
}

function readable(file: string): string {
  if (!existsSync(file)) throw new BackupError(`${file} does not exist`);
  if (!statSync(file).isFile())
    throw new BackupError(`${file} is not a file: give the backup file keyhold backup wrote`);
  return file;
}

/**
 * Refuses a target that holds Keyhold rows, or a schema newer than this build's. A schema with
 * no rows (made by a start, or left by a restore that failed) is empty.
 */
async function refuseNonEmpty(target: Kysely<Database>, where: string): Promise<void> {
  const applied = await appliedMigrations(target);
  const known = await knownMigrations();
  if (applied.some((name, i) => known[i] !== name))
    throw new RestoreTargetError(
      `${where} has schema ${applied.at(-1)}, which this Keyhold does not know: a newer version set it up; restore with that version, or into an empty database`,
    );
  const counts = await countRows(target);
  const filled = TABLES_IN_FOREIGN_KEY_ORDER.map((t) => t.name).filter((name) => (counts[name] ?? 0) > 0);
  if (filled.length > 0)
    throw new RestoreTargetError(
      `${where} already holds Keyhold data (rows in ${filled.slice(0, 3).join(', ')}${filled.length > 3 ? ', …' : ''}); a restore goes into an empty database only`,
    );
}

/** The items and vaults of a restored database are the backup's. */
function expectSameContent(
  inspected: Inspected,
  found: { items: number; vaults: number },
  where: string,
): void {
  if (found.items !== inspected.items || found.vaults !== inspected.vaults)
    throw new BackupError(
      `${where} holds ${found.items} items in ${found.vaults} vaults where the backup holds ${inspected.items} in ${inspected.vaults}`,
    );
}

async function report(
  file: string,
  target: string,
  inspected: Inspected,
  after: Pick<RestoreReport, 'tables' | 'items' | 'vaults' | 'decryptedVaults'>,
): Promise<RestoreReport> {
  return {
    file,
    target,
    schemaVersion: inspected.schemaVersion,
    restoredSchemaVersion: (await knownMigrations()).at(-1) as string,
    tables: after.tables,
    items: after.items,
    vaults: after.vaults,
    decryptedVaults: after.decryptedVaults,
  };
}
