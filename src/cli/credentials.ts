import {
  chmodSync,
  closeSync,
  fsyncSync,
  lstatSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeSync,
} from 'node:fs';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join } from 'node:path';
import { CliError } from './errors.js';

/** What `keyhold login` stores: where it signed in, and the tokens acting as the user there. */
export interface Credentials {
  addr: string;
  accountId: string;
  accessToken: string;
  refreshToken: string;
  /** When the access token expires (RFC 3339). */
  expiresAt: string;
}

/** `$XDG_CONFIG_HOME/keyhold/credentials.json`, or `~/.config/keyhold/credentials.json`. */
export function credentialsPath(env: NodeJS.ProcessEnv = process.env): string {
  const xdg = env.XDG_CONFIG_HOME;
  // The XDG spec says a relative value is to be ignored.
  const base = xdg && isAbsolute(xdg) ? xdg : join(homedir(), '.config');
  return join(base, 'keyhold', 'credentials.json');
}

/**
 * The stored credentials, or undefined when there are none. A file that others than its owner
 * could read (or that is not a regular file) is refused rather than used: its tokens may have
 * leaked, and using them would hide that.
 */
export function readCredentials(file: string): Credentials | undefined {
  let mode: number;
  try {
    const stat = lstatSync(file);
    if (!stat.isFile())
      throw new CliError(`${file} is not a regular file; remove it and run \`keyhold login\``);
    mode = stat.mode & 0o777;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  if ((mode & 0o077) !== 0) {
    throw new CliError(
      `${file} is readable by other users (mode ${mode.toString(8).padStart(4, '0')}); refusing to use it: its tokens may have leaked. Run \`keyhold logout\` with --token, delete it, and \`keyhold login\` again (it is written with mode 0600)`,
    );
  }
  let parsed: Partial<Credentials>;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8')) as Partial<Credentials>;
  } catch {
    throw new CliError(`${file} is not valid JSON; delete it and run \`keyhold login\``);
  }
  const fields = ['addr', 'accountId', 'accessToken', 'refreshToken', 'expiresAt'] as const;
  if (fields.some((k) => typeof parsed[k] !== 'string')) {
    throw new CliError(`${file} lacks ${fields.join(', ')}; delete it and run \`keyhold login\``);
  }
  return parsed as Credentials;
}

/**
 * Writes the credentials atomically: a new file (mode 0600, in a directory of mode 0700) that
 * replaces the old one by rename, so a reader sees the old tokens or the new, never half.
 */
export function writeCredentials(file: string, credentials: Credentials): void {
  const dir = dirname(file);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  // An existing directory keeps its mode under mkdir; ours holds tokens, so it is ours to close.
  if ((statSync(dir).mode & 0o077) !== 0) chmodSync(dir, 0o700);
  const temp = `${file}.${process.pid}.tmp`;
  const fd = openSync(temp, 'wx', 0o600);
  try {
    writeSync(fd, `${JSON.stringify(credentials, null, 2)}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(temp, file);
}

export function deleteCredentials(file: string): boolean {
  try {
    rmSync(file);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Runs `work` holding a lock file beside the credentials, so two commands refreshing at once do
 * not both spend the same refresh token (the second would look like a stolen token's reuse and
 * end the sign-in). A lock older than 30 s is left over from a crash and taken over.
 */
export async function withCredentialsLock<T>(file: string, work: () => Promise<T>): Promise<T> {
  const lock = `${file}.lock`;
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  for (let waited = 0; ; waited += 50) {
    try {
      closeSync(openSync(lock, 'wx', 0o600));
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      try {
        if (Date.now() - statSync(lock).mtimeMs > 30_000) rmSync(lock, { force: true });
      } catch {
        // Gone meanwhile: try again.
      }
      if (waited > 15_000) throw new CliError(`${lock} is held by another keyhold command; try again`);
      await sleep(50);
    }
  }
  try {
    return await work();
  } finally {
    rmSync(lock, { force: true });
  }
}
