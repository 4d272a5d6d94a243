import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPLICATED_WRITES } from '../../src/storage/changes/replicated-writes.js';
import type { Storage } from '../../src/storage/ports.js';
import { openSqlite } from '../../src/storage/sqlite/open.js';

/**
 * A standalone Connect node's replica stays true only if every write to what it may hold records
 * a replica change (storage/changes/replicated-writes.ts). A method added to one of those stores
 * must be classified here: a read, a write that changes nothing a node holds, or a replicated
 * write.
 */
const READS: { [S in keyof typeof REPLICATED_WRITES]: string[] } = {
  accounts: ['get', 'list', 'lock'],
  items: [
    'get',
    'getWithFiles',
    'list',
    'versions',
    'getVersion',
    'getTrashed',
    'listTrash',
    'withoutHeads',
    'versionsWithoutMacs',
  ],
  files: ['list', 'get', 'content', 'all'],
  vaults: ['find', 'content', 'get', 'list'],
  connectServers: ['get', 'findById', 'findBySecretHash', 'list', 'vaults'],
  connectTokens: ['get', 'list', 'exchangedUnder'],
  signingKeys: ['get', 'current', 'list'],
};

/**
 * Writes that change nothing a node holds: an account's insertion (it has no server yet), a
 * vault's (no server reaches it yet), its content counters (moved with an item write, which
 * records the item's change and sends the counters with it), an old version's MAC (nodes hold
 * the current version and its head, not the MACs of versions), the purge of exchanged Connect
 * tokens a day past their expiry (a node's copy is inactive from its expiry on, and goes at the
 * node's next full resync).
 */
const UNREPLICATED_WRITES: { [S in keyof typeof REPLICATED_WRITES]?: string[] } = {
  accounts: ['insert'],
  vaults: ['insert', 'touchContent'],
  items: ['setVersionMac'],
  connectTokens: ['purgeExchanged'],
};

let dir: string;
let storage: Storage;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'keyhold-replicated-writes-'));
  storage = await openSqlite(join(dir, 'db.sqlite'));
});
afterAll(async () => {
  await storage.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('every write to what a Connect node may hold records a replica change', () => {
  for (const [store, writes] of Object.entries(REPLICATED_WRITES)) {
    it(`${store}: every method is a known read, a known unreplicated write or a replicated write`, () => {
      const name = store as keyof typeof READS;
      const methods = Object.keys(storage[name]).sort();
      expect(methods).toEqual(
        [...READS[name], ...(UNREPLICATED_WRITES[name] ?? []), ...Object.keys(writes)].sort(),
      );
    });
  }
});
