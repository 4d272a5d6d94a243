import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, Migrator } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import { type OpenStore, openStore } from '../../src/bootstrap/store.js';
import { loadConfig } from '../../src/config/load.js';
import { aad, seal, sealJson } from '../../src/crypto/envelope.js';
import { newId } from '../../src/crypto/ids.js';
import { Keyring } from '../../src/crypto/keyring.js';
import { generateMasterKey, parseMasterKey } from '../../src/crypto/master-key.js';
import type { RequestContext } from '../../src/domain/context.js';
import { sealItem } from '../../src/domain/items/sealing.js';
import type { ItemContent } from '../../src/domain/items/types.js';
import { buildServices } from '../../src/services.js';
import { ITEM_HEADS_PENDING } from '../../src/storage/ports.js';
import { DIALECT_TYPES, migrationProvider } from '../../src/storage/sql/migrations.js';
import { databasePath } from '../../src/storage/sqlite/backend.js';
import { betterSqliteDialect } from '../../src/storage/sqlite/driver.js';

/**
 * A database written by the release before item heads (schema 0005, real sealed rows) still
 * reads after the upgrade: the first start with the master key writes the heads once, and from
 * then on a missing head is tampering, not "not yet".
 */
const dir = mkdtempSync(join(tmpdir(), 'keyhold-heads-upgrade-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const masterKey = generateMasterKey();
const config = loadConfig({
  KEYHOLD_DATA_DIR: dir,
  KEYHOLD_MASTER_KEY: masterKey,
  KEYHOLD_LOG_LEVEL: 'silent',
});
const keyring = new Keyring(parseMasterKey(masterKey, 'test'));
const accountId = newId();
const vaultId = newId();
const edited = newId();
const withFile = newId();
const rolledBack = newId();
const fileId = newId();
const FILE_BYTES = Buffer.from('legacy file content');
const at = (n: number) => `2026-01-0${n}T03:04:05.000Z`;

const content = (password: string): ItemContent => ({
  overview: { title: `item ${password}`, category: 'LOGIN', urls: [], tags: [], favorite: false },
  details: {
    sections: [],
    fields: [{ id: 'password', type: 'CONCEALED', purpose: 'PASSWORD', label: 'password', value: password }],
  },
});

/** Writes what the release at schema 0005 wrote: no heads, no version MACs, file meta of name only. */
async function writeLegacyDatabase(): Promise<void> {
  const database = new BetterSqlite3(databasePath(dir));
  database.pragma('journal_mode = WAL');
  const db = new Kysely({ dialect: betterSqliteDialect(database).dialect });
  const provider = migrationProvider(DIALECT_TYPES.sqlite);
  const { error } = await new Migrator({ db, provider }).migrateTo('0005_item_content_together');
  if (error) throw error;
  const check = keyring.sealWithMaster(randomBytes(32), aad.masterKeyCheck()).toString('base64');
  database.prepare('insert into meta (key, value) values (?, ?)').run('master_key_check', check);
  database.prepare('insert into accounts (id, name, created_at) values (?, ?, ?)').run(accountId, 'a', at(1));
  const { key, wrapped } = keyring.newVaultKey(accountId, vaultId);
  database
    .prepare(
      `insert into vaults (id, account_id, wrapped_key, attributes, type, attribute_version,
         content_version, created_at, updated_at) values (?, ?, ?, ?, ?, 1, 1, ?, ?)`,
    )
    .run(
      vaultId,
      accountId,
      wrapped,
      sealJson(key, { name: 'legacy', description: '' }, aad.vaultAttributes(accountId, vaultId)),
      'USER_CREATED',
      at(1),
      at(1),
    );
  const insertItem = database.prepare(
    `insert into items (id, vault_id, account_id, version, created_at, updated_at, last_edited_by)
       values (?, ?, ?, ?, ?, ?, ?)`,
  );
  const insertVersion = database.prepare(
    `insert into item_versions (item_id, version, overview, content, layout, created_at, edited_by)
       values (?, ?, ?, ?, ?, ?, ?)`,
  );
  const version = (itemId: string, n: number, password: string) => {
    const sealed = sealItem(key, { accountId, vaultId, itemId, version: n }, content(password));
    insertVersion.run(itemId, n, sealed.overview, sealed.content, sealed.layout, at(n), `editor${n}`);
  };
  insertItem.run(edited, vaultId, accountId, 2, at(1), at(2), 'editor2');
  version(edited, 1, 'old-password');
  version(edited, 2, 'new-password');
  insertItem.run(withFile, vaultId, accountId, 1, at(1), at(1), 'editor1');
  version(withFile, 1, 'file-item');
  database
    .prepare(
      'insert into files (id, item_id, vault_id, meta, size, content, created_at) values (?, ?, ?, ?, ?, ?, ?)',
    )
    .run(
      fileId,
      withFile,
      vaultId,
      sealJson(key, { name: 'notes.txt' }, aad.file(accountId, vaultId, withFile, fileId, 'meta')),
      FILE_BYTES.length,
      seal(key, FILE_BYTES, aad.file(accountId, vaultId, withFile, fileId, 'content')),
      at(3),
    );
  // Rolled back before the upgrade: it points at version 1 while version 2 is stored.
  insertItem.run(rolledBack, vaultId, accountId, 1, at(1), at(1), 'editor1');
  version(rolledBack, 1, 'rolled-back-old');
  version(rolledBack, 2, 'rolled-back-new');
  await db.destroy();
}

const ctx: RequestContext = {
  actor: { type: 'admin_token', id: 'x', accountId, tokenId: null },
  principal: { kind: 'system', accountId },
  requestId: null,
  ip: null,
  userAgent: null,
};

async function withOpened<T>(
  work: (opened: OpenStore, services: ReturnType<typeof buildServices>) => Promise<T>,
) {
  const opened = await openStore(config);
  try {
    return await work(opened, buildServices(opened.storage, opened.keyring, { publicUrl: () => 'http://x' }));
  } finally {
    await opened.storage.close();
  }
}

const integrity = (what: string) => ({
  code: 'integrity_error',
  message: `Integrity check failed for ${what}`,
});

describe('item heads upgrade', () => {
  it('reads rows stored before heads existed, once upgraded; refuses a row rolled back before it', async () => {
    await writeLegacyDatabase();
    await withOpened(async (opened, { items, files }) => {
      expect(opened.headsUpgrade).toEqual({ items: 2, versions: 5, files: 1, refused: [rolledBack] });
      expect(await opened.storage.meta.get(ITEM_HEADS_PENDING)).toBeUndefined();

      const current = await items.get(ctx, vaultId, edited);
      expect(current).toMatchObject({
        version: 2,
        createdAt: at(1),
        updatedAt: at(2),
        lastEditedBy: 'editor2',
        fields: [{ value: 'new-password' }],
      });
      expect((await items.history(ctx, vaultId, edited)).map((v) => [v.version, v.editedBy])).toEqual([
        [2, 'editor2'],
        [1, 'editor1'],
      ]);
      expect((await items.getVersion(ctx, vaultId, edited, 1)).fields[0]?.value).toBe('old-password');
      expect(await files.get(ctx, vaultId, withFile, fileId)).toMatchObject({
        name: 'notes.txt',
        size: FILE_BYTES.length,
      });
      expect((await files.content(ctx, vaultId, withFile, fileId)).content).toEqual(FILE_BYTES);
      expect((await items.get(ctx, vaultId, withFile)).files).toHaveLength(1);

      await expect(items.get(ctx, vaultId, rolledBack)).rejects.toMatchObject(
        integrity(`item ${rolledBack}`),
      );
    });
  });

  it('runs once: a head removed after the upgrade stays an integrity error across restarts', async () => {
    const file = databasePath(dir);
    const raw = new BetterSqlite3(file);
    raw.prepare('update items set head = null where id = ?').run(edited);
    raw.prepare('update item_versions set mac = null where item_id = ?').run(edited);
    raw.close();
    for (let start = 0; start < 2; start++) {
      await withOpened(async (opened, { items }) => {
        expect(opened.headsUpgrade).toBeUndefined();
        await expect(items.get(ctx, vaultId, edited)).rejects.toMatchObject(integrity(`item ${edited}`));
        expect((await items.get(ctx, vaultId, withFile)).version).toBe(1);
      });
    }
  });

  it('never runs again: a rollback dressed as a database awaiting the upgrade stays an integrity error', async () => {
    // Everything someone who can write the file (but has no key) can do to make the upgrade
    // vouch for a rolled-back row: drop the later version, point the row back, clear its head,
    // and put back the marker migration 0008 leaves.
    const raw = new BetterSqlite3(databasePath(dir));
    raw.prepare('delete from item_versions where item_id = ? and version = 2').run(edited);
    raw
      .prepare(
        "update items set version = 1, updated_at = ?, last_edited_by = 'editor1', head = null where id = ?",
      )
      .run(at(1), edited);
    raw.prepare('insert into meta (key, value) values (?, ?)').run(ITEM_HEADS_PENDING, '0008');
    raw.close();
    await withOpened(async (opened, { items }) => {
      expect(opened.headsUpgrade).toBeUndefined();
      await expect(items.get(ctx, vaultId, edited)).rejects.toMatchObject(integrity(`item ${edited}`));
      await expect(items.list(ctx, vaultId)).rejects.toMatchObject(integrity(`item ${edited}`));
    });
  });
});
