import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DataDirInUseError, LOCK_FILE, lockDataDir } from '../../src/storage/sqlite/data-dir-lock.js';

const dirs: string[] = [];
const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'keyhold-lock-'));
  dirs.push(dir);
  return dir;
};
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('lockDataDir', () => {
  it('refuses a second holder of the same directory, naming it, until the first releases', () => {
    const dir = tempDir();
    const first = lockDataDir(dir);
    let refusal: unknown;
    try {
      lockDataDir(dir);
    } catch (error) {
      refusal = error;
    }
    expect(refusal).toBeInstanceOf(DataDirInUseError);
    expect((refusal as Error).message).toContain(`${dir} is in use by another running keyhold service`);
    expect((refusal as Error).message).toContain(join(dir, LOCK_FILE));

    first.release();
    const again = lockDataDir(dir);
    again.release();
  });

  it('holds different directories independently', () => {
    const a = lockDataDir(tempDir());
    const b = lockDataDir(tempDir());
    a.release();
    b.release();
  });

  it('creates a missing data directory with mode 0700', () => {
    const dir = join(tempDir(), 'data');
    const lock = lockDataDir(dir);
    try {
      expect(statSync(dir).mode & 0o777).toBe(0o700);
    } finally {
      lock.release();
    }
  });
});
