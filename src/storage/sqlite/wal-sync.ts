import { type FileHandle, open } from 'node:fs/promises';

export interface WalSync {
  /**
   * Resolves once everything this process has written to the database's write-ahead log so far
   * is on disk; rejects if that cannot be done. Calls made while a sync runs share the next one.
   */
  sync(): Promise<void>;
  /** Waits for a running sync, then lets go of the file. */
  close(): Promise<void>;
}

/**
 * fdatasync of the database's WAL file on libuv's thread pool, off the event loop.
 *
 * Why this is enough to make a commit durable: in WAL mode a COMMIT appends the transaction's
 * frames to the `-wal` file with write(2) before it returns; with synchronous=FULL it then
 * fdatasyncs that file. A sync of the same file through another descriptor, started after the
 * COMMIT returned, writes those same frames out (the kernel keeps one page cache per file), and
 * every earlier frame with them: the log is appended in order. Frames a checkpoint has since
 * copied into the database file are safe too: a checkpoint syncs the database file before the
 * log may be reused (synchronous=NORMAL still syncs at checkpoints).
 *
 * The file is the same for the life of the storage: SQLite deletes the WAL only when the last
 * connection to the database closes, and the main connection stays open until the storage
 * closes. It is opened at the first sync (a commit has created it by then).
 */
export function walSync(databaseFile: string): WalSync {
  const path = `${databaseFile}-wal`;
  let file: Promise<FileHandle> | undefined;
  let running: Promise<void> | undefined;
  /** The sync that starts once the running one is over, shared by everyone who asked meanwhile. */
  let next: Promise<void> | undefined;
  let closed = false;

  const once = async () => {
    // A failed open is tried again by the next sync, not remembered.
    file ??= open(path, 'r+').catch((error: unknown) => {
      file = undefined;
      throw error;
    });
    await (await file).datasync();
  };

  const start = (): Promise<void> => {
    const run = once().finally(() => {
      if (running === run) running = undefined;
    });
    running = run;
    return run;
  };

  return {
    sync() {
      if (closed) return Promise.reject(new Error('the database is closed'));
      if (!running) return start();
      // A sync already running may have begun before the caller's write reached the log: the
      // caller needs one that starts after it.
      next ??= running
        .catch(() => undefined)
        .then(() => {
          next = undefined;
          return start();
        });
      return next;
    },
    async close() {
      closed = true;
      await next?.catch(() => undefined);
      await running?.catch(() => undefined);
      await (await file?.catch(() => undefined))?.close();
    },
  };
}
