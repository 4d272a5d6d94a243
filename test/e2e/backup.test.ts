import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, copyFileSync, existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { knownMigrations } from '../../src/storage/sql/migrations.js';
import { adminApi } from '../helpers/admin-http.js';
import { type Created, createItem, unreadable, writeLoad } from '../helpers/item-load.js';
import {
  CLI,
  childEnv,
  cleanup,
  REPO_ROOT,
  runCli,
  type Server,
  startServer,
  tempDataDir,
} from '../helpers/processes.js';
import { type ServedKeyhold, serveInitialized } from '../helpers/served-keyhold.js';

/**
 * `keyhold backup` and `keyhold restore`, run as a user runs them, against a running
 * `keyhold serve`: why copying the database file is not a backup, and that a backup taken under
 * a steady write load holds every write acknowledged before it started.
 */

afterAll(cleanup);

/** A new data directory holding only a copy of `from`'s master key file (mode 0600). */
function dataDirWithKeyOf(from: string): string {
  const dir = tempDataDir();
  copyFileSync(path.join(from, 'master.key'), path.join(dir, 'master.key'));
  chmodSync(path.join(dir, 'master.key'), 0o600);
  return dir;
}

/** The schema version this build writes: its last migration. */
const latestSchema = async () => (await knownMigrations()).at(-1) as string;

/** The master key of a data directory made by keyhold init (its key file: one line of base64). */
const masterKeyOf = (dataDir: string): Buffer =>
  Buffer.from(readFileSync(path.join(dataDir, 'master.key'), 'utf8').trim(), 'base64');

async function vaultIds(server: Server, token: string): Promise<string[]> {
  const response = await adminApi(server, token)('GET', 'vaults');
  return ((await response.json()) as { id: string }[]).map((v) => v.id);
}

describe('copying the files of a running service', () => {
  let served: ServedKeyhold;
  beforeAll(async () => {
    served = await serveInitialized();
  });
  afterAll(async () => {
    await served.server.stop();
  });

  it('is not a backup: a copy of keyhold.db and master.key starts without a word and lacks what was in the WAL; keyhold backup has it', {
    timeout: 60_000,
  }, async () => {
    const { server, init } = served;
    const vault = await served.admin<{ id: string }>('POST', '/vaults', { name: 'recent' });
    const items: Created[] = [];
    for (let n = 0; n < 20; n++) items.push(await createItem(server, init.adminToken, vault.id, n));

    // What a new user does: copy the two files while the service runs.
    const copied = tempDataDir();
    for (const file of ['keyhold.db', 'master.key'])
      copyFileSync(path.join(served.dataDir, file), path.join(copied, file));
    // The service commits to keyhold.db-wal; SQLite moves pages into keyhold.db only at a
    // checkpoint (every ~4 MB of WAL, or when the last connection closes), so recent commits are
    // only in the -wal file.
    expect(statSync(path.join(served.dataDir, 'keyhold.db-wal')).size).toBeGreaterThan(0);
    const fromCopy = await startServer(copied);
    try {
      // It starts as if nothing were wrong, and the vault and its 20 items are simply not there.
      expect(fromCopy.stderr()).toBe('');
      expect(await vaultIds(fromCopy, init.adminToken)).not.toContain(vault.id);
    } finally {
      await fromCopy.stop();
    }

    // Nor does keyhold restore take such a copy: nothing in it tells what its -wal held.
    const restoreCopy = await runCli([
      'restore',
      path.join(copied, 'keyhold.db'),
      '--data-dir',
      dataDirWithKeyOf(served.dataDir),
    ]);
    expect(restoreCopy.code).toBe(1);
    expect(restoreCopy.stderr).toMatch(
      /^keyhold: .*keyhold\.db is a database in WAL mode, not a file keyhold backup wrote: a copy of a service's keyhold\.db lacks whatever was still in its -wal file/,
    );

    // keyhold backup, at the same moment, is the database as of its last commit.
    const out = path.join(tempDataDir(), 'keyhold.backup');
    const backup = await runCli(['backup', '--data-dir', served.dataDir, '--out', out]);
    expect(backup.code, backup.stderr).toBe(0);
    expect(backup.stdout).toMatch(
      new RegExp(
        `^Backup written to .*keyhold\\.backup \\(\\d+ bytes, schema ${await latestSchema()}, SQLite's online backup\\)`,
      ),
    );
    const restored = dataDirWithKeyOf(served.dataDir);
    const restore = await runCli(['restore', out, '--data-dir', restored]);
    expect(restore.code, restore.stderr).toBe(0);
    const fromBackup = await startServer(restored);
    try {
      expect(await vaultIds(fromBackup, init.adminToken)).toContain(vault.id);
      expect(await unreadable(fromBackup, init.adminToken, vault.id, items)).toEqual([]);
    } finally {
      await fromBackup.stop();
    }
  });
});

describe('keyhold backup under a steady write load', () => {
  it('restores into a data directory where every write acknowledged before the backup started is present and decrypts', {
    timeout: 120_000,
  }, async () => {
    const served = await serveInitialized();
    const { server, init } = served;
    try {
      const vault = await served.admin<{ id: string }>('POST', '/vaults', { name: 'under load' });
      const load = writeLoad(server, init.adminToken, vault.id);
      const { acknowledged } = load;
      await load.reach(100);

      const before = acknowledged.slice();
      const out = path.join(tempDataDir(), 'under-load.backup');
      const started = Date.now();
      const backup = await runCli(['backup', '--data-dir', served.dataDir, '--out', out, '--json'], {
        timeoutMs: 60_000,
      });
      const tookMs = Date.now() - started;
      const duringBackup = acknowledged.length - before.length;
      await load.stop();

      expect(backup.code, backup.stderr).toBe(0);
      const report = JSON.parse(backup.stdout) as {
        items: number;
        vaults: number;
        decryptedVaults: number;
        bytes: number;
      };
      // The writes went on while the backup ran: it took no lock and stopped nobody.
      expect(duringBackup).toBeGreaterThan(0);
      expect(report.items).toBeGreaterThanOrEqual(before.length);
      expect(report.items).toBeLessThanOrEqual(acknowledged.length + 4);
      expect(report.decryptedVaults).toBe(1);
      expect(statSync(out).mode & 0o777).toBe(0o600);
      console.info(
        `backup under load: ${before.length} items acknowledged before it started, ${duringBackup} more while it ran (${tookMs} ms, process start included); ${report.items} items in it, ${report.bytes} bytes`,
      );

      const restored = dataDirWithKeyOf(served.dataDir);
      const restore = await runCli(['restore', out, '--data-dir', restored, '--json']);
      expect(restore.code, restore.stderr).toBe(0);
      expect(JSON.parse(restore.stdout)).toMatchObject({ items: report.items, vaults: report.vaults });
      expect(statSync(path.join(restored, 'keyhold.db')).mode & 0o777).toBe(0o600);
      // The change log Connect nodes resume from starts over, in a new epoch: every node takes the
      // restored state whole instead of resuming at a sequence number the restore took back.
      const BetterSqlite3 = (await import('better-sqlite3')).default;
      const logOf = (dir: string) => {
        const db = new BetterSqlite3(path.join(dir, 'keyhold.db'), { readonly: true });
        try {
          return db.prepare('select epoch, value from replica_log where id = 1').get() as {
            epoch: string;
            value: number;
          };
        } finally {
          db.close();
        }
      };
      const [original, fresh] = [logOf(served.dataDir), logOf(restored)];
      expect(original.value).toBeGreaterThan(0);
      expect(fresh.value).toBe(0);
      expect(fresh.epoch).not.toBe(original.epoch);
      const second = await startServer(restored);
      try {
        expect(await unreadable(second, init.adminToken, vault.id, before)).toEqual([]);
      } finally {
        expect(await second.stop()).toBe(0);
      }
    } finally {
      await server.stop();
    }
  });
});

describe('keyhold restore refuses', () => {
  let served: ServedKeyhold;
  let good: string;
  let vaultId: string;
  beforeAll(async () => {
    served = await serveInitialized();
    const vault = await served.admin<{ id: string }>('POST', '/vaults', { name: 'kept' });
    vaultId = vault.id;
    for (let n = 0; n < 5; n++) await createItem(served.server, served.init.adminToken, vault.id, n);
    good = path.join(tempDataDir(), 'good.backup');
    const backup = await runCli(['backup', '--data-dir', served.dataDir, '--out', good]);
    if (backup.code !== 0) throw new Error(backup.stderr);
  }, 60_000);
  afterAll(async () => {
    await served.server.stop();
  });

  /** Runs a restore expected to fail: its one line, once the target is shown untouched. */
  async function refused(file: string, dataDir: string, env: Record<string, string> = {}): Promise<string> {
    const files = () =>
      readdirSync(dataDir)
        .filter((f) => f !== 'keyhold.lock')
        .sort();
    const before = files();
    const result = await runCli(['restore', file, '--data-dir', dataDir], { env });
    expect(result.code, result.stdout).toBe(1);
    expect(result.stdout).toBe('');
    // Nothing restored, nothing left behind (the lock file aside, which serve makes too).
    expect(files()).toEqual(before);
    return result.stderr.trim();
  }

  it('a data directory that holds a database', async () => {
    expect(await refused(good, served.dataDir)).toMatch(
      /^keyhold: .* already holds a Keyhold database \(keyhold\.db\); a restore goes into an empty data directory only/,
    );
  });

  it('a data directory a service holds', async () => {
    const { lockDataDir } = await import('../../src/storage/sqlite/data-dir-lock.js');
    const dir = dataDirWithKeyOf(served.dataDir);
    const lock = lockDataDir(dir);
    try {
      expect(await refused(good, dir)).toMatch(
        /^keyhold: .* is in use by a running keyhold service; a restore goes into an empty data directory/,
      );
    } finally {
      lock.release();
    }
  });

  it('a data directory holding the -wal of a database moved away after a crash (it would be played into the restored one)', {
    timeout: 60_000,
  }, async () => {
    const crashed = await serveInitialized();
    for (let n = 0; n < 5; n++)
      await crashed.admin('POST', '/vaults', { name: `written after the backup ${n}` });
    await crashed.server.kill();
    const { renameSync } = await import('node:fs');
    // What an operator does on a bad day: move the broken database away, restore in its place.
    renameSync(path.join(crashed.dataDir, 'keyhold.db'), path.join(crashed.dataDir, 'keyhold.db.broken'));
    expect(existsSync(path.join(crashed.dataDir, 'keyhold.db-wal'))).toBe(true);
    const result = await refused(good, crashed.dataDir, {
      KEYHOLD_MASTER_KEY: readFileSync(path.join(served.dataDir, 'master.key'), 'utf8').trim(),
    });
    expect(result).toMatch(
      /^keyhold: .* holds keyhold\.db-wal(, keyhold\.db-shm)?, left by a database that was moved away \(its last writes may be in it\): a restored database would take it as its own; move it along with that database, then restore$/,
    );
  });

  it('without the master key, or with another one', async () => {
    expect(await refused(good, tempDataDir())).toMatch(
      /^keyhold: the master key is missing: .*a restore needs the master key the backup was made with \(it is never in the backup\)/,
    );
    const other = randomBytes(32).toString('base64');
    expect(await refused(good, tempDataDir(), { KEYHOLD_MASTER_KEY: other })).toMatch(
      /^keyhold: the master key does not match the database in .*good\.backup; use the key it was created with$/,
    );
  });

  it('a backup with bytes flipped in a row: its seal no longer matches; sealed again, the vault key or the item no longer opens', async () => {
    const BetterSqlite3 = (await import('better-sqlite3')).default;
    const { readFileSync, writeFileSync } = await import('node:fs');
    const { copyUnsealed, sealBackupFile } = await import('../../src/bootstrap/backup/seal.js');
    const db = new BetterSqlite3(good, { readonly: true });
    const latest = db
      .prepare(
        `select v.content from items i join item_versions v on v.item_id = i.id and v.version = i.version
         where i.vault_id = ? order by i.updated_at desc, i.id limit 1`,
      )
      .get(vaultId) as { content: Buffer };
    const vault = db.prepare('select wrapped_key from vaults where id = ?').get(vaultId) as {
      wrapped_key: Buffer;
    };
    db.close();
    for (const [name, value] of [
      ['item', latest.content],
      ['vault', vault.wrapped_key],
    ] as const) {
      const bytes = readFileSync(good);
      const at = bytes.indexOf(value);
      expect(at).toBeGreaterThan(0);
      const flipped = at + Math.floor(value.length / 2);
      bytes.writeUInt8(bytes.readUInt8(flipped) ^ 0x01, flipped);
      const tampered = path.join(tempDataDir(), `${name}.backup`);
      writeFileSync(tampered, bytes, { mode: 0o600 });
      expect(await refused(tampered, dataDirWithKeyOf(served.dataDir))).toMatch(
        new RegExp(
          `^keyhold: .*${name}\\.backup was altered since keyhold backup wrote it: its seal, made with the master key, does not match its content; nothing in it can be trusted; use another backup$`,
        ),
      );
      // Sealed as it is (a backup of a database damaged on disk): the verification finds it.
      const resealed = path.join(tempDataDir(), `${name}.backup`);
      expect(copyUnsealed(tampered, resealed, masterKeyOf(served.dataDir))).toBe('mismatch');
      sealBackupFile(resealed, masterKeyOf(served.dataDir));
      expect(await refused(resealed, dataDirWithKeyOf(served.dataDir))).toMatch(
        new RegExp(
          `^keyhold: .*${name}\\.backup was altered or is damaged: Integrity check failed for ${name} [a-z0-9]+( key)?; nothing in it can be trusted; use another backup$`,
        ),
      );
    }
  });

  it("a backup with an owner token of someone else's planted in it (made without the master key)", async () => {
    const BetterSqlite3 = (await import('better-sqlite3')).default;
    const { createHash } = await import('node:crypto');
    const planted = path.join(tempDataDir(), 'planted.backup');
    copyFileSync(good, planted);
    const secret = `khadm_${randomBytes(32).toString('base64url')}`;
    const db = new BetterSqlite3(planted);
    db.prepare(
      `insert into admin_tokens (id, account_id, name, token_hash, role, created_at)
       select 'planted', account_id, 'backup job', ?, 'owner', created_at from admin_tokens limit 1`,
    ).run(createHash('sha256').update(secret).digest());
    db.close();
    // Restored, the token would be an owner's: every vault, every secret.
    expect(await refused(planted, dataDirWithKeyOf(served.dataDir))).toMatch(
      /^keyhold: .*planted\.backup (was altered since keyhold backup wrote it: its seal, made with the master key, does not match its content|has no seal: keyhold backup did not write it, or it was altered since); nothing in it can be trusted; use another backup$/,
    );
  });

  it('a truncated backup, and a file that is no backup at all', async () => {
    const { readFileSync, writeFileSync } = await import('node:fs');
    const bytes = readFileSync(good);
    const truncated = path.join(tempDataDir(), 'truncated.backup');
    writeFileSync(truncated, bytes.subarray(0, Math.floor(bytes.length / 2)), { mode: 0o600 });
    expect(await refused(truncated, dataDirWithKeyOf(served.dataDir))).toMatch(
      /^keyhold: .*truncated\.backup (fails SQLite's integrity check|cannot be read as a Keyhold backup) .*damaged/,
    );
    const noise = path.join(tempDataDir(), 'noise.backup');
    writeFileSync(noise, randomBytes(8192), { mode: 0o600 });
    expect(await refused(noise, dataDirWithKeyOf(served.dataDir))).toMatch(
      /^keyhold: .*noise\.backup cannot be read as a Keyhold backup \(file is not a database\): it is damaged or not a backup$/,
    );
  });

  it('a directory given as the backup, and a file that does not exist', async () => {
    const notAFile = tempDataDir();
    expect(await refused(notAFile, dataDirWithKeyOf(served.dataDir))).toMatch(
      /^keyhold: .* is not a file: give the backup file keyhold backup wrote$/,
    );
    expect(await refused(path.join(notAFile, 'missing.backup'), dataDirWithKeyOf(served.dataDir))).toMatch(
      /^keyhold: .*missing\.backup does not exist$/,
    );
  });

  it('a backup from a newer Keyhold (a migration this one does not know)', async () => {
    const BetterSqlite3 = (await import('better-sqlite3')).default;
    const newer = path.join(tempDataDir(), 'newer.backup');
    copyFileSync(good, newer);
    const db = new BetterSqlite3(newer);
    db.prepare('insert into kysely_migration (name, timestamp) values (?, ?)').run(
      '0099_from_the_future',
      new Date().toISOString(),
    );
    db.close();
    expect(await refused(newer, dataDirWithKeyOf(served.dataDir))).toMatch(
      new RegExp(
        `^keyhold: .*newer\\.backup has schema 0099_from_the_future, which this Keyhold does not know \\(it knows up to ${await latestSchema()}\\): it was written by a newer version; restore it with that version or a later one$`,
      ),
    );
  });

  it('and keyhold backup refuses to overwrite a file, or to run with another master key, writing nothing', async () => {
    const result = await runCli(['backup', '--data-dir', served.dataDir, '--out', good]);
    expect(result.code).toBe(1);
    expect(result.stderr.trim()).toMatch(
      /^keyhold: .*good\.backup already exists; refusing to overwrite it \(give another --out\)$/,
    );
    expect(existsSync(`${good}.partial`)).toBe(false);

    const out = path.join(tempDataDir(), 'other-key.backup');
    const otherKey = await runCli(['backup', '--data-dir', served.dataDir, '--out', out], {
      env: { KEYHOLD_MASTER_KEY: randomBytes(32).toString('base64') },
    });
    expect(otherKey.code).toBe(1);
    expect(otherKey.stderr.trim()).toMatch(
      /^keyhold: the master key does not match the database in .*keyhold\.db; use the key it was created with$/,
    );
    expect(existsSync(out)).toBe(false);
    expect(existsSync(`${out}.partial`)).toBe(false);
  });

  it('and keyhold backup refuses an --out that names no file, writing nothing', async () => {
    for (const out of ['', path.join(tempDataDir(), 'missing-dir') + path.sep]) {
      const result = await runCli(['backup', '--data-dir', served.dataDir, '--out', out]);
      expect(result.code).toBe(1);
      expect(result.stderr.trim()).toBe(`keyhold: --out must name a file (got "${out}")`);
    }
    expect(existsSync(path.join(REPO_ROOT, '.partial'))).toBe(false);
  });

  it('and keyhold backup refuses a database with an index added by hand, saying so of the database, writing nothing', async () => {
    const dataDir = tempDataDir();
    const init = await runCli(['init', '--data-dir', dataDir, '--json']);
    expect(init.code, init.stderr).toBe(0);
    const BetterSqlite3 = (await import('better-sqlite3')).default;
    const db = new BetterSqlite3(path.join(dataDir, 'keyhold.db'));
    db.exec('create index audit_by_actor on audit_events (actor_id)');
    db.close();
    const out = path.join(tempDataDir(), 'indexed.backup');
    const result = await runCli(['backup', '--data-dir', dataDir, '--out', out]);
    expect(result.code).toBe(1);
    expect(result.stderr.trim()).toMatch(
      /^keyhold: .*keyhold\.db has a schema that is not Keyhold's 0026_user_names: an extra index audit_by_actor; a backup holds Keyhold's schema only, and a restore refuses anything else: remove what was added to the database, then back it up$/,
    );
    expect(readdirSync(path.dirname(out))).toEqual([]);
  });

  it('but restores a backup from an earlier Keyhold, and migrates it', async () => {
    const BetterSqlite3 = (await import('better-sqlite3')).default;
    const { copyUnsealed, sealBackupFile } = await import('../../src/bootstrap/backup/seal.js');
    // The backup as schema 0014 left it (0015 to 0026 only added these tables, columns and indexes),
    // sealed as that Keyhold's keyhold backup sealed it.
    const older = path.join(tempDataDir(), 'older.backup');
    const key = masterKeyOf(served.dataDir);
    expect(copyUnsealed(good, older, key)).toBe('matches');
    const db = new BetterSqlite3(older);
    db.exec(
      `drop table change_counter; drop table oauth_used_jtis; drop table replica_log; drop table replica_changes;
       drop table connect_node_outboxes; alter table connect_servers drop column public_key;
       drop index audit_token_occurred; alter table items drop column deleted_at;
       alter table items drop column deleted_by; alter table signing_keys drop column withdrawn_at;
       alter table oauth_tokens drop column jkt; alter table oauth_clients drop column dpop_bound_access_tokens;
       drop table oauth_pushed_requests; alter table account_policies drop column require_pushed_requests;
       alter table login_sessions drop column amr; alter table oauth_codes drop column nonce;
       alter table oauth_codes drop column auth_time; alter table oauth_codes drop column amr;
       drop index connect_tokens_oauth_grant; alter table connect_tokens drop column oauth_grant_id;
       alter table oauth_tokens drop column act;
       alter table oauth_clients drop column require_pushed_authorization_requests;
       alter table oauth_clients drop column fapi2_security_profile; alter table oauth_codes drop column dpop_jkt;
       alter table oauth_grants drop column authorization_details;
       alter table oauth_codes drop column authorization_details;
       alter table oauth_tokens drop column authorization_details;
       alter table users drop column name;
       delete from kysely_migration
         where name in ('0015_shared_node_state', '0016_connect_replicas', '0017_item_trash',
           '0018_audit_token_use', '0019_signing_key_withdrawal', '0020_pushed_authorization_requests', '0021_dpop',
           '0022_openid_connect', '0023_token_exchange', '0024_rich_authorization_requests', '0025_client_profiles',
           '0026_user_names')`,
    );
    db.close();
    sealBackupFile(older, key);
    const dir = dataDirWithKeyOf(served.dataDir);
    const result = await runCli(['restore', older, '--data-dir', dir, '--json']);
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({
      schemaVersion: '0014_audit_filters',
      restoredSchemaVersion: await latestSchema(),
      items: 5,
      vaults: 1,
      decryptedVaults: 1,
    });
    const restored = new BetterSqlite3(path.join(dir, 'keyhold.db'), { readonly: true });
    expect(restored.prepare('select value from change_counter where id = 1').get()).toEqual({ value: 0 });
    restored.close();
    const server = await startServer(dir);
    try {
      expect(await vaultIds(server, served.init.adminToken)).toEqual([vaultId]);
    } finally {
      await server.stop();
    }
  });
});

describe('keyhold backup stopped half-way', () => {
  it('by Ctrl-C or a service manager (SIGINT, SIGTERM) leaves nothing behind, so the next run to that --out goes ahead', {
    timeout: 90_000,
  }, async () => {
    const dataDir = tempDataDir();
    const init = await runCli(['init', '--data-dir', dataDir, '--json']);
    expect(init.code, init.stderr).toBe(0);
    // About 160 MB, so the backup runs long enough to be stopped on the way.
    const BetterSqlite3 = (await import('better-sqlite3')).default;
    const db = new BetterSqlite3(path.join(dataDir, 'keyhold.db'));
    const event = db.prepare(
      `insert into audit_events (occurred_at, actor_type, actor_id, action, resource_type, result)
       values ('2026-01-01T00:00:00.000Z', 'system', ?, 'READ', 'vault', 'SUCCESS')`,
    );
    db.transaction(() => {
      for (let i = 0; i < 20_000; i++) event.run(`${'x'.repeat(8000)}${i}`);
    })();
    db.close();

    const outDir = tempDataDir();
    const out = path.join(outDir, 'nightly.backup');
    for (const signal of ['SIGINT', 'SIGTERM'] as const) {
      const child = spawn(process.execPath, [CLI, 'backup', '--data-dir', dataDir, '--out', out], {
        env: childEnv(),
        stdio: 'ignore',
      });
      const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
        child.on('exit', (code, signal) => resolve({ code, signal })),
      );
      while (!existsSync(`${out}.partial`)) await new Promise((r) => setTimeout(r, 2));
      child.kill(signal);
      const { code, signal: by } = await exited;
      // Stopped, as a stopped command is: by the signal itself.
      expect({ code, by }).toEqual({ code: null, by: signal });
      expect(readdirSync(outDir), signal).toEqual([]);
    }
    const again = await runCli(['backup', '--data-dir', dataDir, '--out', out], { timeoutMs: 60_000 });
    expect(again.code, again.stderr).toBe(0);
  });
});
