import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ANNOUNCED_WRITES } from '../../src/storage/changes/announced-writes.js';
import type { Storage } from '../../src/storage/ports.js';
import { openSqlite } from '../../src/storage/sqlite/open.js';

/**
 * What processes keep in memory (the access cache, scope catalogs, signing keys) stays sound only
 * if every write to a store it comes from announces a change. A method added to one of those
 * stores must be classified here: a read, or an announced write.
 */
const READS: { [S in keyof typeof ANNOUNCED_WRITES]: string[] } = {
  accounts: ['get', 'list', 'lock'],
  vaults: ['find', 'content', 'get', 'list'],
  connectTokens: ['get', 'list', 'exchangedUnder'],
  connectServers: ['get', 'findById', 'findBySecretHash', 'list', 'vaults'],
  clients: ['findById', 'get', 'list'],
  resourceServers: ['get', 'findByIdentifier', 'findBySecretHash', 'list', 'scopes'],
  signingKeys: ['get', 'current', 'list'],
};

/**
 * Writes that change nothing a process keeps: `touchContent` moves only a vault's content counters,
 * which are not part of the core the access cache holds (`VaultCore`), so an item write announces
 * nothing and empties no node's cache.
 */
const UNANNOUNCED_WRITES: { [S in keyof typeof ANNOUNCED_WRITES]?: string[] } = {
  vaults: ['touchContent'],
};

let dir: string;
let storage: Storage;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'keyhold-announced-writes-'));
  storage = await openSqlite(join(dir, 'db.sqlite'));
});
afterAll(async () => {
  await storage.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('every write to what processes keep in memory is announced', () => {
  it('a replicated write announces only the replica topic, so no cache drops for an item write', async () => {
    const seen: string[][] = [];
    const off = storage.changes.subscribe((topics) => seen.push([...topics]));
    await storage.items.setHead('01HZZZZZZZZZZZZZZZZZZZZZZZ', Buffer.alloc(32));
    off();
    expect(seen).toEqual([['replica']]);
  });
  for (const [store, writes] of Object.entries(ANNOUNCED_WRITES)) {
    it(`${store}: every method is a known read or an announced write`, () => {
      const name = store as keyof typeof READS;
      const methods = Object.keys(storage[name]).sort();
      expect(methods).toEqual(
        [...READS[name], ...(UNANNOUNCED_WRITES[name] ?? []), ...Object.keys(writes)].sort(),
      );
    });
  }
});
