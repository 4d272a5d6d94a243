import { chmodSync, closeSync, fchmodSync, constants as fsConstants, mkdirSync, openSync } from 'node:fs';
import { isAppError } from '../../errors/app-error.js';
import { ProcessError } from '../../errors/process-error.js';

/** The replica file cannot be read as one (damaged, truncated, not a database, or tampered with). */
export class ReplicaUnreadableError extends ProcessError {
  constructor(message: string, cause: unknown) {
    super('replica_unreadable', message, { cause });
  }
}

/**
 * An error at open as the operator sees it: a refusal already written for them passes as it is;
 * a damaged file or a row that does not open under the replica key is `replica_unreadable`, with
 * what to do, and no detail of the row (the cause is kept for logs).
 */
export function unreadable(dataDir: string, error: unknown): unknown {
  if (error instanceof ProcessError) return error;
  const code = (error as { code?: unknown }).code;
  const sqlite = typeof code === 'string' && code.startsWith('SQLITE_') && code !== 'SQLITE_BUSY';
  if (!sqlite && !(isAppError(error) && error.code === 'integrity_error')) return error;
  return new ReplicaUnreadableError(
    `the replica in ${dataDir} cannot be read (${sqlite ? 'the file is damaged or not a replica' : 'a row does not open under this server’s replica key: it was altered'}); stop the node, delete that directory, and start it again to make a new replica from the central service`,
    error,
  );
}

/**
 * The replica is the node's alone: its directory 0700 (when the node owns it) and its files 0600,
 * also when they existed before with looser modes. SQLite gives its -wal and -shm the database
 * file's mode, so they follow it.
 */
export function keepPrivate(dataDir: string, file: string): void {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  try {
    chmodSync(dataDir, 0o700);
  } catch (error) {
    // A directory someone else owns (a mounted volume's root, say) keeps its mode: the files
    // below are the node's own and 0600 whatever it is.
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') throw error;
  }
  // Never through a symbolic link: the node would change (and SQLite write) a file elsewhere.
  const { O_RDWR, O_CREAT, O_NOFOLLOW } = fsConstants;
  for (const [suffix, flags] of [
    ['', O_RDWR | O_CREAT | O_NOFOLLOW],
    ['-wal', O_RDWR | O_NOFOLLOW],
    ['-shm', O_RDWR | O_NOFOLLOW],
  ] as const) {
    let fd: number;
    try {
      fd = openSync(`${file}${suffix}`, flags, 0o600);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') continue;
      if (code === 'ELOOP')
        throw new ReplicaUnreadableError(
          `${file}${suffix} is a symbolic link; a replica's files must be files of its data directory (${dataDir})`,
          error,
        );
      throw error;
    }
    try {
      fchmodSync(fd, 0o600);
    } finally {
      closeSync(fd);
    }
  }
}
