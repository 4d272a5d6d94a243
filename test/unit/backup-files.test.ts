import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { writeNewFile } from '../../src/bootstrap/backup/files.js';

/**
 * How `keyhold backup` writes its file where others may write too: a backup directory shared
 * with a group, or /tmp. SQLite keeps files of its own beside a database it writes (FILE-journal,
 * FILE-wal, FILE-shm) and takes what it finds there as its own: a hot journal is played back into
 * the database, a WAL's frames are copied into it. Whoever can put such a file beside the file
 * being written (after SQLite removed the one it found, before the next write) changes the backup,
 * which is then verified and sealed as genuine.
 */

const dir = mkdtempSync(join(tmpdir(), 'keyhold-backup-files-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('a backup is written', () => {
  it('in a directory of its own that only its user can write, so nobody can put a file beside it', async () => {
    const shared = join(dir, 'shared');
    mkdirSync(shared);
    chmodSync(shared, 0o1777);
    const out = join(shared, 'keyhold.backup');
    await writeNewFile(out, async (partial) => {
      const work = dirname(partial);
      expect(work).not.toBe(shared);
      expect(statSync(work).mode & 0o777).toBe(0o700);
      // SQLite's files for it are made in that directory too.
      const db = new BetterSqlite3(partial);
      db.pragma('journal_mode = WAL');
      db.exec('create table t (x); insert into t values (1)');
      expect(readdirSync(work).sort()).toEqual([
        'keyhold.backup',
        'keyhold.backup-shm',
        'keyhold.backup-wal',
      ]);
      db.close();
    });
    expect(existsSync(out)).toBe(true);
    expect(readdirSync(shared)).toEqual(['keyhold.backup']);
  });

  it('never through a link planted where it is written, and leaves nothing behind when it fails', async () => {
    const shared = join(dir, 'planted');
    mkdirSync(shared);
    const victim = join(dir, 'victim');
    writeFileSync(victim, 'not yours');
    const out = join(shared, 'keyhold.backup');
    symlinkSync(victim, `${out}.partial`);
    await expect(writeNewFile(out, async () => undefined)).rejects.toThrow(
      /keyhold\.backup\.partial exists: another backup is being written to it, or one was interrupted; remove it and try again/,
    );
    rmSync(`${out}.partial`);
    await expect(
      writeNewFile(out, async () => {
        throw new Error('the source went away');
      }),
    ).rejects.toThrow('the source went away');
    expect(readdirSync(shared)).toEqual([]);
    expect(statSync(victim).size).toBe(9);
  });
});
