import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { ProcessError } from '../../errors/process-error.js';

export const LOCK_FILE = 'keyhold.lock';

/** Another running service holds the data directory. */
export class DataDirInUseError extends ProcessError {
  constructor(message: string) {
    super('data_dir_in_use', message);
  }
}

export interface DataDirLock {
  release(): void;
}

/**
 * Holds a data directory for one running service: a second `keyhold serve` on the same directory
 * is refused at start.
 *
 * Why: the access caches live in the process (src/storage/cache). A token revoked, or a server
 * deleted, through one process would still be honoured by a second process over the same
 * database until that process happened to clear its caches, which breaks immediate revocation.
 *
 * How: an exclusive SQLite lock on a small lock database in the directory, held until release.
 * The lock is the operating system's (fcntl), so it goes with the process: a crashed or killed
 * service never leaves a stale lock behind, as a pid file would. SQLite also sees the conflict
 * between two connections of one process.
 */
export function lockDataDir(dataDir: string): DataDirLock {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const file = join(dataDir, LOCK_FILE);
  const lock = new BetterSqlite3(file, { timeout: 0 });
  try {
    // Nothing is ever written, so the journal may live in memory: a journal file would outlive
    // a killed process.
    lock.pragma('journal_mode = MEMORY');
    lock.pragma('locking_mode = EXCLUSIVE');
    // Never committed: the open transaction holds the lock until the connection closes.
    lock.exec('begin exclusive');
  } catch (error) {
    lock.close();
    if ((error as { code?: unknown }).code === 'SQLITE_BUSY') {
      throw new DataDirInUseError(
        `${dataDir} is in use by another running keyhold service (it holds ${file}); stop that one first, or give this one another --data-dir`,
      );
    }
    throw error;
  }
  return { release: () => lock.close() };
}
