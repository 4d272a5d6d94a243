import { existsSync, mkdtempSync, readdirSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { newId } from '../../src/crypto/ids.js';
import type { ItemRecord, Stores, VaultRecord } from '../../src/storage/ports.js';
import { openSqlite } from '../../src/storage/sqlite/open.js';

/**
 * A group-commit batch runs each unit in a savepoint, and SQLite keeps the first image of every
 * page a savepoint changes in a statement journal. Past 64 KiB it spilled that journal to a
 * temporary file (named etilqs_*), which then took every later page of the batch: an item create
 * changes ~12 pages, so every create wrote them to disk besides its WAL frames. The storage keeps
 * the journal in memory (open.ts); this watches the process's open files while units that change
 * many pages run in one batch.
 */
const now = '2026-01-02T03:04:05.000Z';
const bytes = (s: string) => Buffer.from(s, 'utf8');
const hasProcFd = existsSync('/proc/self/fd');

/** The temporary files SQLite has open in this process (deleted at open, so only fds show them). */
const sqliteTempFiles = () =>
  readdirSync('/proc/self/fd')
    .map((fd) => {
      try {
        return readlinkSync(`/proc/self/fd/${fd}`);
      } catch {
        return ''; // the fd readdir itself used, closed since
      }
    })
    .filter((target) => target.includes('etilqs_'));

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'keyhold-stmt-journal-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('the statement journal of a group-commit batch', () => {
  it.skipIf(!hasProcFd)('stays in memory: no temporary file while units change many pages', async () => {
    const storage = await openSqlite(join(dir, 'keyhold.db'));
    try {
      const accountId = newId();
      await storage.accounts.insert({ id: accountId, name: 'Acme', createdAt: now, operator: false });
      const vault: VaultRecord = {
        id: newId(),
        accountId,
        wrappedKey: bytes('wrapped'),
        attributes: bytes('attrs'),
        type: 'USER_CREATED',
        attributeVersion: 1,
        contentVersion: 1,
        createdAt: now,
        updatedAt: now,
      };
      await storage.vaults.insert(vault);
      const insertItems = async (tx: Stores, n: number) => {
        for (let i = 0; i < n; i++) {
          const item: ItemRecord = {
            id: newId(),
            vaultId: vault.id,
            accountId,
            version: 1,
            createdAt: now,
            updatedAt: now,
            lastEditedBy: 'tester',
            head: bytes('head'),
          };
          await tx.items.insert(item, {
            itemId: item.id,
            version: 1,
            overview: bytes('o'.repeat(200)),
            content: bytes('c'.repeat(400)),
            layout: 1,
            createdAt: now,
            editedBy: 'tester',
            mac: bytes('mac'),
          });
        }
      };
      // Items already there: a new item's random id then lands in leaves of the id indexes that
      // exist before the unit's savepoint, so the unit changes (and journals) dozens of pages.
      await storage.transaction((tx) => insertItems(tx, 3000));

      const seen: string[][] = [];
      await Promise.all(
        [1, 2, 3].map(() =>
          storage.transaction(async (tx) => {
            await insertItems(tx, 300);
            seen.push(sqliteTempFiles());
          }),
        ),
      );
      expect(seen).toEqual([[], [], []]);
      expect(await storage.items.list(vault.id)).toHaveLength(3900);
    } finally {
      await storage.close();
    }
  });
});
