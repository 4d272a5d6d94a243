import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, Migrator } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import { ITEM_HEADS_PENDING } from '../../src/storage/ports.js';
import { DIALECT_TYPES, migrationProvider } from '../../src/storage/sql/migrations.js';
import { betterSqliteDialect } from '../../src/storage/sqlite/driver.js';
import { openSqlite } from '../../src/storage/sqlite/open.js';

const dir = mkdtempSync(join(tmpdir(), 'keyhold-upgrade-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A database file at schema `migration`, as a release of that schema left it. */
async function databaseAt(file: string, migration: string): Promise<BetterSqlite3.Database> {
  const database = new BetterSqlite3(file);
  database.pragma('journal_mode = WAL');
  const db = new Kysely({ dialect: betterSqliteDialect(database).dialect });
  const provider = migrationProvider(DIALECT_TYPES.sqlite);
  const { error } = await new Migrator({ db, provider }).migrateTo(migration);
  if (error) throw error;
  return database;
}

describe('upgrading a SQLite database', () => {
  it('refuses a database a newer Keyhold migrated, saying so, and changes nothing', async () => {
    const file = join(dir, 'newer.sqlite');
    await (await openSqlite(file)).close();
    const raw = new BetterSqlite3(file);
    raw
      .prepare("insert into kysely_migration (name, timestamp) values ('9999_from_the_future', '2030')")
      .run();
    const before = raw.prepare('select count(*) as n from kysely_migration').get();
    raw.close();
    await expect(openSqlite(file)).rejects.toMatchObject({ code: 'database_too_new' });
    await expect(openSqlite(file)).rejects.toThrow(
      'the database was migrated by a newer Keyhold (migration 9999_from_the_future is unknown to this version); start the newer version, or restore a backup made before the upgrade',
    );
    const after = new BetterSqlite3(file, { readonly: true });
    expect(after.prepare('select count(*) as n from kysely_migration').get()).toEqual(before);
    after.close();
  });

  it('keeps item versions stored before overview and details were sealed together, as layout 1', async () => {
    const file = join(dir, 'v4.sqlite');
    const old = await databaseAt(file, '0004_files_in_order');
    const at = '2026-01-02T03:04:05.000Z';
    old.prepare('insert into accounts (id, name, created_at) values (?, ?, ?)').run('acc', 'a', at);
    old
      .prepare(
        `insert into vaults (id, account_id, wrapped_key, attributes, type, attribute_version,
           content_version, created_at, updated_at) values (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run('vault', 'acc', Buffer.from('k'), Buffer.from('a'), 'USER_CREATED', 1, 1, at, at);
    old
      .prepare(
        `insert into items (id, vault_id, account_id, version, created_at, updated_at, last_edited_by)
           values (?, ?, ?, ?, ?, ?, ?)`,
      )
      .run('item', 'vault', 'acc', 1, at, at, 'u');
    old
      .prepare(
        `insert into item_versions (item_id, version, overview, details, created_at, edited_by)
           values (?, ?, ?, ?, ?, ?)`,
      )
      .run('item', 1, Buffer.from('sealed overview'), Buffer.from('sealed details'), at, 'u');
    old.close();

    const storage = await openSqlite(file);
    try {
      const current = await storage.items.get('vault', 'item', true);
      expect(current?.layout).toBe(1);
      expect(current?.overview.toString()).toBe('sealed overview');
      expect(current?.content?.toString()).toBe('sealed details');
      expect((await storage.items.getVersion('item', 1))?.layout).toBe(1);
    } finally {
      await storage.close();
    }
  });

  it('leaves items stored before item heads without one, and asks the next keyed start to write them', async () => {
    const file = join(dir, 'v5.sqlite');
    const old = await databaseAt(file, '0005_item_content_together');
    const at = '2026-01-02T03:04:05.000Z';
    old.prepare('insert into accounts (id, name, created_at) values (?, ?, ?)').run('acc', 'a', at);
    old
      .prepare(
        `insert into vaults (id, account_id, wrapped_key, attributes, type, attribute_version,
           content_version, created_at, updated_at) values (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run('vault', 'acc', Buffer.from('k'), Buffer.from('a'), 'USER_CREATED', 1, 1, at, at);
    old
      .prepare(
        `insert into items (id, vault_id, account_id, version, created_at, updated_at, last_edited_by)
           values (?, ?, ?, ?, ?, ?, ?)`,
      )
      .run('item', 'vault', 'acc', 1, at, at, 'u');
    old
      .prepare(
        `insert into item_versions (item_id, version, overview, content, layout, created_at, edited_by)
           values (?, ?, ?, ?, ?, ?, ?)`,
      )
      .run('item', 1, Buffer.from('o'), Buffer.from('c'), 3, at, 'u');
    old.close();

    const storage = await openSqlite(file);
    try {
      expect((await storage.items.get('vault', 'item', false))?.head).toBeNull();
      expect((await storage.items.getVersion('item', 1))?.mac).toBeNull();
      expect(await storage.meta.get(ITEM_HEADS_PENDING)).toBe('0008');
    } finally {
      await storage.close();
    }
  });

  it('asks for no heads upgrade in a database without items', async () => {
    const file = join(dir, 'empty-v5.sqlite');
    (await databaseAt(file, '0005_item_content_together')).close();
    const storage = await openSqlite(file);
    try {
      expect(await storage.meta.get(ITEM_HEADS_PENDING)).toBeUndefined();
    } finally {
      await storage.close();
    }
  });

  it('makes every admin token an owner token, and the account of the operator token the operator account', async () => {
    const file = join(dir, 'v9.sqlite');
    const old = await databaseAt(file, '0009_signing_key_kinds');
    const at = '2026-01-02T03:04:05.000Z';
    const account = old.prepare('insert into accounts (id, name, created_at) values (?, ?, ?)');
    account.run('first', 'Default', at);
    account.run('second', 'Acme', at);
    const token = old.prepare(
      'insert into admin_tokens (id, account_id, name, token_hash, operator, created_at) values (?, ?, ?, ?, ?, ?)',
    );
    token.run('bootstrap', 'first', 'bootstrap operator token', Buffer.from('h1'), 1, at);
    token.run('initial', 'second', 'initial admin token', Buffer.from('h2'), 0, at);
    old.close();

    const storage = await openSqlite(file);
    try {
      expect((await storage.accounts.get('first'))?.operator).toBe(true);
      expect((await storage.accounts.get('second'))?.operator).toBe(false);
      for (const [accountId, id, hash] of [
        ['first', 'bootstrap', 'h1'],
        ['second', 'initial', 'h2'],
      ] as const) {
        expect(await storage.adminTokens.findByHash(Buffer.from(hash))).toMatchObject({
          id,
          accountId,
          role: 'owner',
          expiresAt: null,
          revokedAt: null,
          createdBy: null,
        });
      }
    } finally {
      await storage.close();
    }
  });
});
