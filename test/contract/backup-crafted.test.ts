import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backupSqlite } from '../../src/bootstrap/backup/backup-sqlite.js';
import { countRows } from '../../src/bootstrap/backup/copy-tables.js';
import { BackupError } from '../../src/bootstrap/backup/errors.js';
import { restoreInto, restoreSqlite } from '../../src/bootstrap/backup/restore.js';
import { keyToOpen } from '../../src/bootstrap/store.js';
import type { Database } from '../../src/storage/sql/tables.js';
import { databasePath } from '../../src/storage/sqlite/backend.js';
import { client, startTestApp } from '../helpers/app.js';
import { type PostgresCluster, startPostgres } from '../helpers/postgres.js';

/**
 * Backups altered by someone who holds a backup but not the master key (a writable backup bucket,
 * a file handed to the operator): the key check and every sealed value are the genuine ones, only
 * the SQLite file around them is changed. A restore must put exactly Keyhold's schema and rows in
 * place, nothing else: a trigger, view or table of the file's would otherwise run inside the
 * restored service, on its writes.
 */

const dir = mkdtempSync(join(tmpdir(), 'keyhold-backup-crafted-'));
let cluster: PostgresCluster;
let good: string;
let masterKey: Buffer;
const pools: Kysely<Database>[] = [];

beforeAll(async () => {
  cluster = await startPostgres();
  const test = await startTestApp();
  try {
    const call = client(test.app, test.token);
    const vault = (await call.post('/vaults', { name: 'kept' })).json() as { id: string };
    for (let n = 0; n < 3; n++) {
      const created = await call.post(`/vaults/${vault.id}/items`, {
        title: `item ${n}`,
        fields: [
          { id: 'password', type: 'CONCEALED', purpose: 'PASSWORD', label: 'password', value: `pw ${n}` },
        ],
      });
      expect(created.statusCode).toBe(201);
    }
    masterKey = keyToOpen(test.config, test.dir);
    good = join(dir, 'good.backup');
    await backupSqlite(databasePath(test.dir), good, masterKey);
  } finally {
    await test.close();
  }
}, 120_000);

afterAll(async () => {
  for (const db of pools) await db.destroy();
  cluster?.stop();
  rmSync(dir, { recursive: true, force: true });
});

let made = 0;

/** A copy of the good backup with `statements` run on it (foreign keys not enforced, as a forger's sqlite3). */
function crafted(statements: string): string {
  const file = join(dir, `crafted-${made++}.backup`);
  copyFileSync(good, file);
  const db = new BetterSqlite3(file);
  try {
    // As the sqlite3 shell does: writable_schema works (better-sqlite3 defends the schema by default).
    db.unsafeMode(true);
    db.pragma('foreign_keys = OFF');
    db.exec(statements);
  } finally {
    db.close();
  }
  return file;
}

async function postgres(): Promise<Kysely<Database>> {
  const url = await cluster.createDatabase();
  const db = new Kysely<Database>({
    dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: url, max: 2 }) }),
  });
  pools.push(db);
  return db;
}

const CRAFTED: [what: string, statements: string, refusal: RegExp][] = [
  [
    'a trigger that erases every audit event the restored service writes',
    'create trigger hide after insert on audit_events begin delete from audit_events where seq = new.seq; end;',
    /has a schema that is not Keyhold's 0026_user_names: an extra trigger hide;/,
  ],
  [
    'a trigger that gives a user of its choosing access to every vault created later',
    `create trigger share after insert on vaults begin
       insert into vault_access (vault_id, user_id, permissions) select new.id, id, 'read' from users limit 1;
     end;`,
    /an extra trigger share;/,
  ],
  ['an extra table', 'create table loot (value blob);', /an extra table loot;/],
  ['a view', 'create view everything as select * from users;', /an extra view everything;/],
  ['an extra index', 'create index users_by_name on users (email);', /an extra index users_by_name;/],
  [
    'a Keyhold table with another definition (an extra column)',
    'alter table users add column note text;',
    /table users is not defined as Keyhold defines it;/,
  ],
  [
    'a Keyhold table with a CHECK of its own (the rows in it pass; a new key does not)',
    `pragma writable_schema = on;
     update sqlite_master set sql = replace(sql, '"value" text not null', '"value" text not null check (key <> ''planted'')')
       where name = 'meta';`,
    /table meta is not defined as Keyhold defines it;/,
  ],
  [
    'a migration record that is a view which never ends (a restore that would hang)',
    `drop table kysely_migration;
     create view kysely_migration as with recursive n(x) as (select 1 union all select x + 1 from n)
       select '0001_initial' || x as name, '' as timestamp from n;`,
    /is not a Keyhold backup \(it has no Keyhold schema\)/,
  ],
  [
    'an item moved out of every vault (a reference that leads nowhere)',
    "update items set vault_id = 'nowhere' where id = (select min(id) from items);",
    /holds rows whose references lead nowhere \(items → vaults\)/,
  ],
];

/** Rows changed where no verification looks: only a seal made with the master key tells. */
const ALTERED_ROWS: [what: string, statements: string][] = [
  [
    "an owner admin token of the forger's (every secret, once restored)",
    `insert into admin_tokens (id, account_id, name, token_hash, role, created_at)
       select 'planted', account_id, 'backup job', randomblob(32), 'owner', created_at from admin_tokens limit 1;`,
  ],
  ['the audit trail erased', 'delete from audit_events;'],
  ["a user's password hash replaced", "update users set password_hash = 'forged';"],
  [
    'an item verification does not open, its content replaced',
    `update item_versions set content = randomblob(length(content))
       where item_id = (select id from items order by updated_at, id limit 1);`,
  ],
];

describe('a backup altered in rows no verification opens is refused, the target untouched', () => {
  for (const [what, statements] of ALTERED_ROWS) {
    it(`into a data directory: ${what}`, async () => {
      const file = crafted(statements);
      const dataDir = join(dir, `data-${made++}`);
      mkdirSync(dataDir, { mode: 0o700 });
      const error = await restoreSqlite(dataDir, file, masterKey).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(BackupError);
      expect((error as Error).message).toMatch(/altered since/);
      expect(readdirSync(dataDir).filter((f) => f !== 'keyhold.lock')).toEqual([]);
    });

    it(`into PostgreSQL: ${what}`, async () => {
      const file = crafted(statements);
      const target = await postgres();
      const error = await restoreInto(target, file, masterKey).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(BackupError);
      expect((error as Error).message).toMatch(/altered since/);
      expect(Object.values(await countRows(target)).every((rows) => rows === 0)).toBe(true);
    });
  }
});

describe('a crafted backup is refused, the target untouched', () => {
  for (const [what, statements, refusal] of CRAFTED) {
    it(`into a data directory: ${what}`, async () => {
      const file = crafted(statements);
      const dataDir = join(dir, `data-${made++}`);
      mkdirSync(dataDir, { mode: 0o700 });
      const error = await restoreSqlite(dataDir, file, masterKey).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(BackupError);
      expect((error as Error).message).toMatch(refusal);
      expect(readdirSync(dataDir).filter((f) => f !== 'keyhold.lock')).toEqual([]);
    });

    it(`into PostgreSQL: ${what}`, async () => {
      const file = crafted(statements);
      const target = await postgres();
      const error = await restoreInto(target, file, masterKey).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(BackupError);
      expect((error as Error).message).toMatch(refusal);
      expect(Object.values(await countRows(target)).every((rows) => rows === 0)).toBe(true);
    });
  }

  it('while the genuine backup restores into both', async () => {
    const dataDir = join(dir, 'data-good');
    mkdirSync(dataDir, { mode: 0o700 });
    expect((await restoreSqlite(dataDir, good, masterKey)).items).toBe(3);
    expect((await restoreInto(await postgres(), good, masterKey)).items).toBe(3);
  });
});
