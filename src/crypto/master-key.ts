import { randomBytes } from 'node:crypto';
import {
  closeSync,
  existsSync,
  fsyncSync,
  linkSync,
  openSync,
  readFileSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { ProcessError } from '../errors/process-error.js';
import { KEY_BYTES } from './envelope.js';

/** A problem with the master key; stops the process with a message that says what to fix. */
export class MasterKeyError extends ProcessError {
  constructor(message: string) {
    super('master_key_invalid', message);
  }
}

export const MASTER_KEY_FILE = 'master.key';

/** Decodes a base64 master key, insisting on exactly 32 bytes. `source` names where it came from. */
export function parseMasterKey(text: string, source: string): Buffer {
  const trimmed = text.trim();
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(trimmed) && !/^[A-Za-z0-9_-]+$/.test(trimmed)) {
    throw new MasterKeyError(`${source} is not base64; it must be the base64 of 32 random bytes`);
  }
  const key = Buffer.from(trimmed, trimmed.includes('-') || trimmed.includes('_') ? 'base64url' : 'base64');
  if (key.length !== KEY_BYTES) {
    throw new MasterKeyError(
      `${source} decodes to ${key.length} bytes; it must be exactly ${KEY_BYTES} bytes`,
    );
  }
  return key;
}

export function readMasterKeyFile(path: string): Buffer {
  return parseMasterKey(readFileSync(path, 'utf8'), `master key file ${path}`);
}

/**
 * Creates a new key file with mode 0600, whole or not at all: the key is written to a file of
 * its own first, then linked into place. A link fails if the path exists, so an existing key is
 * never overwritten (that would make every stored secret unreadable), and a process racing this
 * one never reads a half-written file.
 */
export function createMasterKeyFile(path: string): Buffer {
  if (existsSync(path))
    throw new MasterKeyError(`master key file ${path} already exists; refusing to overwrite it`);
  const key = randomBytes(KEY_BYTES);
  const draft = `${path}.${process.pid}.${randomBytes(6).toString('hex')}.new`;
  const fd = openSync(draft, 'wx', 0o600);
  try {
    writeSync(fd, `${key.toString('base64')}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    linkSync(draft, path);
  } catch (error) {
    if ((error as { code?: unknown }).code === 'EEXIST')
      throw new MasterKeyError(`master key file ${path} already exists; refusing to overwrite it`);
    throw error;
  } finally {
    unlinkSync(draft);
  }
  return key;
}

/** The key file's key, creating the file when there is none (another process may create it first). */
export function readOrCreateMasterKeyFile(path: string): Buffer {
  if (existsSync(path)) return readMasterKeyFile(path);
  try {
    return createMasterKeyFile(path);
  } catch (error) {
    if (error instanceof MasterKeyError && existsSync(path)) return readMasterKeyFile(path);
    throw error;
  }
}

export const generateMasterKey = (): string => randomBytes(KEY_BYTES).toString('base64');
