import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { CliError } from '../errors.js';

/**
 * Writes secret content to `file`, created with mode 0600, atomically: the content goes to a
 * temporary file beside it (same directory, so same file system), which then takes the name.
 * Without `force` an existing file is refused — by `link`, which fails if the name exists, so
 * there is no window between a check and the write. With `force` the temporary file is renamed
 * over it (the old file's mode is not kept: the new one is 0600). A reader never sees half a file.
 */
export function writeSecretFile(
  file: string,
  content: string | Buffer,
  force: boolean,
  flag = '--out',
): void {
  const target = path.resolve(file);
  if (!force && fs.existsSync(target)) {
    throw new CliError(`${flag} ${file} already exists; pass --force to overwrite it`);
  }
  const temp = path.join(
    path.dirname(target),
    `.${path.basename(target)}.${randomBytes(6).toString('hex')}.tmp`,
  );
  try {
    fs.writeFileSync(temp, content, { mode: 0o600, flag: 'wx' });
  } catch (error) {
    throw new CliError(
      `cannot write ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
    );
  }
  try {
    if (force) {
      fs.renameSync(temp, target);
    } else {
      fs.linkSync(temp, target);
      fs.unlinkSync(temp);
    }
  } catch (error) {
    fs.rmSync(temp, { force: true });
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') throw new CliError(`${flag} ${file} already exists; pass --force to overwrite it`);
    throw new CliError(`cannot write ${file}: ${code ?? (error as Error).message}`);
  }
}
