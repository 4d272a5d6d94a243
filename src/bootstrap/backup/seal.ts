import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';
import { closeSync, fstatSync, fsyncSync, openSync, readSync, rmSync, writeSync } from 'node:fs';
import { BackupError } from './errors.js';

/**
 * A backup's seal: an HMAC-SHA-256 of every byte of the SQLite file, under a key derived from the
 * master key, appended after the file as MAGIC then the MAC. SQLite reads the file as it is (it
 * stops at the page count its header gives), so `sqlite3` still opens a backup.
 *
 * Why: the sealed values in a database (vault keys, items, files, signing keys) open only under
 * the master key, but most rows are plain: token and password hashes, roles, grants, the audit
 * trail, the schema itself. Without a seal, whoever can write a backup (a bucket, a share) but
 * has no key could add an owner token of their own, erase the audit trail or add a trigger, and
 * the restore would put it all in place. With it, a backup restores only as keyhold backup wrote
 * it, and only with the key it was written with.
 */
const MAGIC = Buffer.from('keyhold-backup-seal-v1\0', 'latin1');
const MAC_BYTES = 32;
const TRAILER_BYTES = MAGIC.length + MAC_BYTES;
const CHUNK = 1024 * 1024;

const sealKey = (masterKey: Buffer): Buffer =>
  Buffer.from(hkdfSync('sha256', masterKey, Buffer.alloc(0), 'keyhold/backup-seal/v1', MAC_BYTES));

/** Appends the seal of `file` (a complete backup) to it, and syncs it. */
export function sealBackupFile(file: string, masterKey: Buffer): void {
  const fd = openSync(file, 'r+');
  try {
    const size = fstatSync(fd).size;
    const hmac = createHmac('sha256', sealKey(masterKey));
    const buffer = Buffer.allocUnsafe(CHUNK);
    for (let at = 0; at < size; ) {
      const read = readSync(fd, buffer, 0, Math.min(CHUNK, size - at), at);
      if (read === 0) break;
      hmac.update(buffer.subarray(0, read));
      at += read;
    }
    const trailer = Buffer.concat([MAGIC, hmac.digest()]);
    for (let written = 0; written < trailer.length; )
      written += writeSync(fd, trailer, written, trailer.length - written, size + written);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** What copyUnsealed found: the copy holds the file's bytes without the seal. */
export type Seal = 'matches' | 'missing' | 'mismatch';

/**
 * Copies the backup `from` into the new private file `to` (mode 0600; refused if it exists),
 * without its seal, reading `from` once: whatever is checked afterwards is the copy, whatever
 * happens to `from` meanwhile. Answers whether the seal matched the bytes copied.
 */
export function copyUnsealed(from: string, to: string, masterKey: Buffer): Seal {
  const source = openSync(from, 'r');
  try {
    const size = fstatSync(source).size;
    const trailer = Buffer.alloc(TRAILER_BYTES);
    const sealed =
      size >= TRAILER_BYTES &&
      readSync(source, trailer, 0, TRAILER_BYTES, size - TRAILER_BYTES) === TRAILER_BYTES &&
      trailer.subarray(0, MAGIC.length).equals(MAGIC);
    const length = sealed ? size - TRAILER_BYTES : size;
    const hmac = createHmac('sha256', sealKey(masterKey));
    const target = openSync(to, 'wx', 0o600);
    try {
      const buffer = Buffer.allocUnsafe(CHUNK);
      for (let at = 0; at < length; ) {
        const read = readSync(source, buffer, 0, Math.min(CHUNK, length - at), at);
        if (read === 0) break;
        hmac.update(buffer.subarray(0, read));
        for (let written = 0; written < read; ) written += writeSync(target, buffer, written, read - written);
        at += read;
      }
      fsyncSync(target);
    } catch (error) {
      closeSync(target);
      rmSync(to, { force: true });
      throw error;
    }
    closeSync(target);
    if (!sealed) return 'missing';
    return timingSafeEqual(hmac.digest(), trailer.subarray(MAGIC.length)) ? 'matches' : 'mismatch';
  } finally {
    closeSync(source);
  }
}

/**
 * Refuses a backup whose seal is missing or does not match. Checked once the copy was inspected
 * (a wrong master key, a damaged file, a newer schema, a foreign schema are refused as such
 * first), before anything in it is migrated or decrypted: what is left is a file changed after
 * keyhold backup wrote it. `where` names the file.
 */
export function expectSealed(seal: Seal, where: string): void {
  if (seal === 'mismatch')
    throw new BackupError(
      `${where} was altered since keyhold backup wrote it: its seal, made with the master key, does not match its content; nothing in it can be trusted; use another backup`,
    );
  if (seal === 'missing')
    throw new BackupError(
      `${where} has no seal: keyhold backup did not write it, or it was altered since; nothing in it can be trusted; use another backup`,
    );
}
