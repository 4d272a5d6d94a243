import { existsSync } from 'node:fs';
import type { Config } from '../../config/schema.js';
import { Keyring } from '../../crypto/keyring.js';
import { ProcessError } from '../../errors/process-error.js';
import { chooseBackend } from '../../storage/choose-backend.js';
import { isConnectionLoss } from '../../storage/errors.js';
import { withPostgresAsItIs } from '../../storage/postgres/as-it-is.js';
import { databasePath } from '../../storage/sqlite/backend.js';
import { keyToOpen, loadMasterKey, openKeyCheck } from '../store.js';
import { backupSqlite } from './backup-sqlite.js';
import { RestoreTargetError } from './errors.js';
import { exportLogical } from './export-logical.js';
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
    return backupSqlite(file, out, keyToOpen(config, backend.location));
  }
  const found = await backend.inspect();
  if (found.kind === 'nothing') throw nothing();
  if (found.kind === 'other') throw new ProcessError('command_failed', found.why);
  const masterKey = keyToOpen(config, backend.location);
  openKeyCheck(new Keyring(masterKey), found.keyCheck, backend);
  return saidOfConnectionLoss(
    withPostgresAsItIs(config.databaseUrl, (db) => exportLogical(db, out, masterKey)),
    (why) =>
      `the connection to ${backend.location} was lost during the backup (${why}): nothing was written; run it again once the database is reachable`,
  );
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
  const { key: masterKey } = loadMasterKey(
    config,
    'a restore needs the master key the backup was made with (it is never in the backup): put it in that file (mode 0600) or in KEYHOLD_MASTER_KEY',
  );
  if (config.databaseUrl === undefined) return restoreSqlite(config.dataDir, file, masterKey);
  return saidOfConnectionLoss(
    withPostgresAsItIs(config.databaseUrl, (db) => restoreInto(db, file, masterKey, backend.location)),
    (why) =>
      `the connection to ${backend.location} was lost during the restore (${why}): its rows are copied in one transaction, so unless it committed the database holds none of them; run it again once the database is reachable`,
  );
}

/**
 * A lost connection to PostgreSQL (a restarted server, a network fault, an administrator ending
 * it) as the refusal it is, rather than as an unexpected error.
 */
async function saidOfConnectionLoss<T>(work: Promise<T>, message: (why: string) => string): Promise<T> {
  try {
    return await work;
  } catch (error) {
    if (!isConnectionLoss(error)) throw error;
    throw new ProcessError(
      'database_unavailable',
      message(error instanceof Error ? error.message : String(error)),
      {
        cause: error,
      },
    );
  }
}
