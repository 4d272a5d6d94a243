import { existsSync } from 'node:fs';
import type { Config } from '../../config/schema.js';
import { MasterKeyError } from '../../crypto/master-key.js';
import { ProcessError } from '../../errors/process-error.js';
import { databasePath, isInitialized, loadMasterKey, masterKeyPath } from '../data-dir.js';
import { backupSqlite } from './backup-sqlite.js';
import type { BackupReport, RestoreReport } from './report.js';
import { refuseInitialized, restoreSqlite } from './restore.js';

/** `keyhold backup` on a data directory: its SQLite database, with its master key. */
export async function backupDataDir(config: Config, out: string): Promise<BackupReport> {
  if (!isInitialized(config.dataDir))
    throw new ProcessError('command_failed', `no Keyhold database in ${config.dataDir}; check --data-dir`);
  return backupSqlite(databasePath(config.dataDir), out, loadMasterKey(config));
}

/**
 * `keyhold restore` into a data directory. The master key the backup was made with must be
 * given as for `keyhold serve`: KEYHOLD_MASTER_KEY, or the key file put in the directory first.
 */
export async function restoreDataDir(config: Config, file: string): Promise<RestoreReport> {
  // A full data directory is refused first: that is the problem, not the key.
  refuseInitialized(config.dataDir);
  if (config.masterKey === undefined && !existsSync(masterKeyPath(config.dataDir)))
    throw new MasterKeyError(
      `the master key is missing: KEYHOLD_MASTER_KEY is not set and ${masterKeyPath(config.dataDir)} does not exist; a restore needs the master key the backup was made with (it is never in the backup): put it in that file (mode 0600) or in KEYHOLD_MASTER_KEY`,
    );
  return restoreSqlite(config.dataDir, file, loadMasterKey(config));
}
