import { randomBytes } from 'node:crypto';
import { lstatSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { CliError } from './errors.js';

/** Whether anything (a file, a directory, a symlink, even a dangling one) is at `file`. */
export function occupied(file: string): boolean {
  try {
    lstatSync(file);
    return true;
  } catch {
    return false;
  }
}

/** The refusal of every `--out` that would replace a file without `--force`. */
export const refuseOverwrite = (file: string) =>
  new CliError(`${file} already exists; refusing to overwrite it (pass --force to replace it)`);

/**
 * Writes `content`, which may be a secret, with mode 0600 for every `--out FILE`. Without `force`
 * the file is created exclusively: an existing file or symlink is never followed or replaced, and
 * the refusal says `--force`. With `force` the content goes to a new 0600 file beside the target,
 * renamed over it: the target never holds a partial document and never keeps the looser mode of
 * the file it replaces. Other failures are thrown as they are, for the caller to word.
 */
export function writeSecretFile(file: string, content: string | Buffer, force: boolean): void {
  if (!force) {
    try {
      writeFileSync(file, content, { mode: 0o600, flag: 'wx' });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') throw refuseOverwrite(file);
      throw error;
    }
    return;
  }
  const temp = join(dirname(file), `.${basename(file)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    writeFileSync(temp, content, { mode: 0o600, flag: 'wx' });
    renameSync(temp, file);
  } catch (error) {
    rmSync(temp, { force: true });
    throw error;
  }
}
