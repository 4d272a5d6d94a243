import { join } from 'node:path';
import type { Kysely } from 'kysely';
import { Keyring } from '../../crypto/keyring.js';
import { itemRows } from '../../domain/items/item-rows.js';
import { isAppError } from '../../errors/app-error.js';
import { isKeyholdError } from '../../errors/keyhold-error.js';
import { KEY_CHECK } from '../../storage/backend.js';
import { DIALECT_TYPES } from '../../storage/sql/migrations.js';
import { migrate, stores } from '../../storage/sql/storage.js';
import type { Database } from '../../storage/sql/tables.js';
import { openKeyCheck } from '../store.js';
import { countRows, type RowCounts } from './copy-tables.js';
import { BackupError } from './errors.js';
import { copyToNewFile, withTempDir } from './files.js';
import { expectKeyholdSchema, expectReferencesHold } from './schema-check.js';
import { appliedMigrations, type SchemaVersion, schemaState } from './schema-version.js';
import { damaged, integrityCheck, readSqliteFile, refuseWalFile, writeSqliteFile } from './sqlite-file.js';

/** What a verification found in a Keyhold database. */
export interface Verified {
  /** Rows per table. */
  tables: RowCounts;
  items: number;
  vaults: number;
  /** Vaults whose latest item was decrypted (every vault that has an item; each vault's key opened). */
  decryptedVaults: number;
}

/** A backup file, looked at without changing it. */
export interface Inspected {
  schemaVersion: SchemaVersion;
  /** `older`: written by an earlier Keyhold; migrated when restored. */
  schema: 'current' | 'older';
  tables: RowCounts;
  items: number;
  vaults: number;
}

/**
 * Checks what a Keyhold database holds, with the master key, through the code that serves it:
 * the key check opens (else MasterKeyError), each table is counted, every vault's key opens, and
 * in each vault the most recently changed item is loaded (its head checked) and its content
 * decrypted. `db` must be at this build's schema; `where` names it in refusals.
 */
export async function verifyDatabase(
  db: Kysely<Database>,
  masterKey: Buffer,
  where: string,
): Promise<Verified> {
  // A keyring of its own: one that served another database could hold this one's vault keys.
  const keyring = new Keyring(masterKey);
  const storage = stores(db);
  return refusingDamage(where, async () => {
    const headsInForce = keyCheck(await storage.meta.get(KEY_CHECK), keyring, where);
    const tables = await countRows(db);
    const rows = itemRows(storage, keyring);
    let decryptedVaults = 0;
    for (const account of await storage.accounts.list()) {
      for (const vault of await storage.vaults.list(account.id)) {
        keyring.vaultKey(vault);
        const latest = await db
          .selectFrom('items')
          .select('id')
          .where('vault_id', '=', vault.id)
          .orderBy('updated_at', 'desc')
          .orderBy('id')
          .limit(1)
          .executeTakeFirst();
        if (!latest) continue;
        // Before the item-heads upgrade (a backup of a database no newer build has served) rows
        // have no head yet: the first start writes them (upgrade-heads.ts).
        const row = headsInForce
          ? await rows.load(vault, latest.id, true)
          : await storage.items.get(vault.id, latest.id, true);
        if (!row) throw new BackupError(`${where}: item ${latest.id} vanished while it was verified`);
        rows.openContent(vault, row);
        decryptedVaults++;
      }
    }
    return { tables, items: tables.items ?? 0, vaults: tables.vaults ?? 0, decryptedVaults };
  });
}

/**
 * Looks at a backup file without changing it: not a WAL-mode copy of a live database, SQLite's
 * integrity check, a schema this build knows (a newer one is refused) and exactly that schema
 * (nothing added, nothing redefined: schema-check.ts), every foreign key holds, the master key
 * opens its key check, rows per table.
 */
export function inspectBackup(file: string, masterKey: Buffer, where = file): Promise<Inspected> {
  return refusingDamage(where, () => {
    refuseWalFile(file, where);
    return readSqliteFile(file, async ({ db, raw }) => {
      integrityCheck(raw, where);
      const applied = await appliedMigrations(db);
      const schema = await schemaState(applied, where);
      await expectKeyholdSchema(raw, applied.at(-1) as string, where);
      expectReferencesHold(raw, where);
      keyCheck(await stores(db).meta.get(KEY_CHECK), new Keyring(masterKey), where);
      const tables = await countRows(db);
      return {
        schemaVersion: applied.at(-1) as string,
        schema,
        tables,
        items: tables.items ?? 0,
        vaults: tables.vaults ?? 0,
      };
    });
  });
}

/**
 * Verifies a backup file: inspectBackup, then verifyDatabase on it (a backup written by an
 * earlier Keyhold: on a migrated copy in a private temporary directory; the file is never
 * changed). `where` names it in refusals (the final name of a file still being written).
 */
export async function verifyBackup(
  file: string,
  masterKey: Buffer,
  where = file,
): Promise<Inspected & Pick<Verified, 'decryptedVaults'>> {
  const inspected = await inspectBackup(file, masterKey, where);
  const { decryptedVaults } = await atCurrentSchema(file, inspected, (current) =>
    refusingDamage(where, () => readSqliteFile(current, ({ db }) => verifyDatabase(db, masterKey, where))),
  );
  return { ...inspected, decryptedVaults };
}

/**
 * Runs `work` on a file at this build's schema holding what `file` holds: `file` itself when it
 * is current, else a copy migrated in a private temporary directory, removed afterwards.
 */
export function atCurrentSchema<T>(
  file: string,
  inspected: Pick<Inspected, 'schema'>,
  work: (current: string) => Promise<T>,
): Promise<T> {
  if (inspected.schema === 'current') return work(file);
  return withTempDir(async (dir) => {
    const copy = join(dir, 'backup.db');
    copyToNewFile(file, copy);
    await migrateSqliteFile(copy);
    return work(copy);
  });
}

/**
 * Opens a database's key check (store.ts); answers whether item heads are in force. A database
 * without one is no Keyhold database; a key that does not open it is a MasterKeyError.
 */
function keyCheck(value: string | undefined, keyring: Keyring, where: string): boolean {
  if (value === undefined)
    throw new BackupError(`${where} is not a Keyhold database (it has no master key check)`);
  return openKeyCheck(keyring, value, { location: where });
}

/** Brings a SQLite file's schema up to this build's. */
export const migrateSqliteFile = (file: string): Promise<void> =>
  writeSqliteFile(file, ({ db }) => migrate(db, DIALECT_TYPES.sqlite));

/**
 * Runs `work`, answering what goes wrong in a backup's content as the refusal it is: a value
 * that does not open (integrity error) means the file was altered or damaged; a SQLite error
 * means it cannot be read. Refusals of our own (a wrong key, a newer schema) pass unchanged.
 */
async function refusingDamage<T>(where: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (isAppError(error) && error.code === 'integrity_error')
      throw new BackupError(
        `${where} was altered or is damaged: ${error.message}; nothing in it can be trusted; use another backup`,
        { cause: error },
      );
    if (isKeyholdError(error)) throw error;
    if (
      typeof (error as { code?: unknown }).code === 'string' &&
      (error as { code: string }).code.startsWith('SQLITE_')
    )
      throw damaged(where, error);
    throw error;
  }
}
