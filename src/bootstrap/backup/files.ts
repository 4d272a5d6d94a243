import {
  closeSync,
  existsSync,
  fsyncSync,
  linkSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readSync,
  renameSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, sep } from 'node:path';
import { ProcessError } from '../../errors/process-error.js';

const errno = (error: unknown) => (error as NodeJS.ErrnoException).code;

/** Copies `from` to a new file `to` (refused if it exists), mode 0600, on disk before it returns. */
export function copyToNewFile(from: string, to: string): void {
  const source = openSync(from, 'r');
  try {
    const target = openSync(to, 'wx', 0o600);
    try {
      const buffer = Buffer.allocUnsafe(1024 * 1024);
      for (;;) {
        const read = readSync(source, buffer, 0, buffer.length, null);
        if (read === 0) break;
        for (let written = 0; written < read; ) written += writeSync(target, buffer, written, read - written);
      }
      fsyncSync(target);
    } finally {
      closeSync(target);
    }
  } finally {
    closeSync(source);
  }
}

/**
 * Gives the complete file `from` the name `to`, which must not exist: a hard link, so a file
 * created at `to` meanwhile is never replaced (a rename would), then `from` is removed. Where
 * links are not supported, a rename after checking. The directory is synced, so the new name
 * survives a crash.
 */
export function placeNewFile(from: string, to: string, refuse: (to: string) => Error): void {
  try {
    linkSync(from, to);
    rmSync(from);
  } catch (error) {
    if (errno(error) === 'EEXIST') throw refuse(to);
    if (!['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'EXDEV'].includes(errno(error) ?? '')) throw error;
    if (existsSync(to)) throw refuse(to);
    renameSync(from, to);
  }
  syncDirectory(dirname(to));
}

function syncDirectory(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } catch {
    // Some file systems cannot sync a directory; the file itself is on disk.
  } finally {
    closeSync(fd);
  }
}

const exists = (file: string) =>
  new ProcessError('command_failed', `${file} already exists; refusing to overwrite it (give another --out)`);

/**
 * Writes a new file `out` through a new directory `out.partial` (mode 0700) holding the file
 * being written: refused when `out` exists, or `out.partial` does (another backup to `out` is
 * under way, or one was interrupted). Nobody else can put a file in that directory, so the
 * journal, WAL and shared-memory files SQLite keeps beside a database it writes are its own (one
 * planted beside the file would be taken as SQLite's: a journal played back into it, a WAL's
 * frames copied into it). The file is made with mode 0600, takes the name `out` only once
 * `write` finished (and verified) it; the directory is removed whatever happens, and on failure
 * `out` never appears.
 */
export async function writeNewFile<T>(out: string, write: (partial: string) => Promise<T>): Promise<T> {
  if (out === '' || out.endsWith(sep) || out.endsWith('/'))
    throw new ProcessError('command_failed', `--out must name a file (got "${out}")`);
  if (existsSync(out)) throw exists(out);
  const work = `${out}.partial`;
  // Heard before the directory exists: a signal between the two would leave it behind.
  const keep = removedOnStop(work);
  try {
    mkdirSync(work, { mode: 0o700 });
  } catch (error) {
    // Not ours to remove.
    keep.cancel();
    if (errno(error) === 'EEXIST')
      throw new ProcessError(
        'command_failed',
        `${work} exists: another backup is being written to it, or one was interrupted; remove it and try again`,
      );
    if (errno(error) === 'ENOENT')
      throw new ProcessError(
        'command_failed',
        `cannot write ${out}: directory ${dirname(out)} does not exist`,
      );
    throw error;
  }
  try {
    const partial = join(work, basename(out));
    closeSync(openSync(partial, 'wx', 0o600));
    const result = await write(partial);
    // A stop signal is delivered between two turns of the event loop. `write` may have done all its
    // work without one (SQLite's backup copies every page in one step): give a signal that came
    // meanwhile its turn now, while it can still remove the directory and stop the process before
    // `out` appears. Without it, a Ctrl-C during the copy was dropped with the listeners below.
    await new Promise((resolve) => setImmediate(resolve));
    const fd = openSync(partial, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    placeNewFile(partial, out, exists);
    return result;
  } finally {
    keep.cancel();
    rmSync(work, { recursive: true, force: true });
  }
}

/** Runs `work` with a new private directory (0700) under the system's temporary directory. */
export async function withTempDir<T>(work: (dir: string) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'keyhold-backup-'));
  const keep = removedOnStop(dir);
  try {
    return await work(dir);
  } finally {
    keep.cancel();
    rmSync(dir, { recursive: true, force: true });
  }
}

const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/**
 * Until `cancel()`: a stop signal (Ctrl-C, a service manager's stop, a closed terminal) removes
 * the directory `dir` (a backup half-written, a copy of one), then stops the process as the
 * signal would have. Without it the process died leaving `dir` behind, and the next backup to the
 * same --out was refused until someone removed it by hand.
 */
function removedOnStop(dir: string): { cancel(): void } {
  const stop = (signal: NodeJS.Signals) => {
    rmSync(dir, { recursive: true, force: true });
    cancel();
    process.kill(process.pid, signal);
  };
  const cancel = () => {
    for (const signal of STOP_SIGNALS) process.removeListener(signal, stop);
  };
  for (const signal of STOP_SIGNALS) process.on(signal, stop);
  return { cancel };
}
