import { existsSync } from 'node:fs';
import type { Config } from '../../config/schema.js';
import { Keyring } from '../../crypto/keyring.js';
import { MasterKeyError } from '../../crypto/master-key.js';
import { ProcessError } from '../../errors/process-error.js';
import { chooseBackend } from '../../storage/choose-backend.js';
import { databasePath } from '../../storage/sqlite/backend.js';
import { loadMasterKey, openKeyCheck } from '../store.js';
import { backupSqlite } from './backup-sqlite.js';
import { RestoreTargetError } from './errors.js';
import { exportLogical } from './export-logical.js';
import { withPostgres } from './postgres.js';
import type { BackupReport, RestoreReport } from './report.js';
import { refuseInitialized, restoreInto, restoreSqlite } from './restore.js';

/**
 * `keyhold backup`: the configured backend's database (chooseBackend), with the master key
 * `keyhold serve` would use. The key is checked against the database before anything is written,
 * so a backup job with the wrong key fails at once, not only at its verification. It holds
 * nothing: the service keeps running.
 */
export async function backupDatabase(config: Config, out: string): Promise<BackupReport> {
  const backend = chooseBackend(config);
  const where = config.databaseUrl === undefined ? '--data-dir' : '--database-url';
  const nothing = () =>
    new ProcessError('command_failed', `no Keyhold database at ${backend.location}; check ${where}`);
  if (config.databaseUrl === undefined) {
    // Not backend.inspect(): it removes the -shm it made, which a service starting meanwhile may
    // already use; backupSqlite checks the key on a connection that leaves the files alone.
    const file = databasePath(config.dataDir);
    if (!existsSync(file)) throw nothing();
    return backupSqlite(file, out, loadMasterKey(config, backend));
  }
  const found = await backend.inspect();
  if (found.kind === 'nothing') throw nothing();
  if (found.kind === 'other') throw new ProcessError('command_failed', found.why);
  const masterKey = loadMasterKey(config, backend);
  openKeyCheck(new Keyring(masterKey), found.keyCheck, backend);
  return withPostgres(config.databaseUrl, (db) => exportLogical(db, out, masterKey));
}

/**
 * `keyhold restore` into the configured backend, which must be empty: a data directory without
 * keyhold.db, or a PostgreSQL database without Keyhold rows. The master key the backup was made
 * with is given as for `keyhold serve` (KEYHOLD_MASTER_KEY, or the key file).
 */
export async function restoreDatabase(config: Config, file: string): Promise<RestoreReport> {
  const backend = chooseBackend(config);
  // A full target is refused first: that is the problem, not the key.
  if (config.databaseUrl === undefined) refuseInitialized(config.dataDir);
  else {
    const found = await backend.inspect();
    if (found.kind === 'keyhold')
      throw new RestoreTargetError(
        `${backend.location} already holds a Keyhold database; a restore goes into an empty database only`,
      );
    // Another application's tables: restoring would mix Keyhold's into them.
    if (found.kind === 'other') throw new RestoreTargetError(found.why);
  }
  if (config.masterKey === undefined && !existsSync(config.masterKeyFile))
    throw new MasterKeyError(
      `the master key is missing: KEYHOLD_MASTER_KEY is not set and ${config.masterKeyFile} does not exist; a restore needs the master key the backup was made with (it is never in the backup): put it in that file (mode 0600) or in KEYHOLD_MASTER_KEY`,
    );
  const masterKey = loadMasterKey(config, backend);
  if (config.databaseUrl === undefined) return restoreSqlite(config.dataDir, file, masterKey);
  return withPostgres(config.databaseUrl, (db) => restoreInto(db, file, masterKey, backend.location));
}
