import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACCESS_CHANGING_WRITES } from '../../src/storage/cache/access-cache.js';
import type { Storage } from '../../src/storage/ports.js';
import { openSqlite } from '../../src/storage/sqlite/open.js';

/**
 * The access cache is sound only if every write to a store it caches from bumps its epoch. A
 * method added to one of those stores must be classified here: a read, or a write the cache sees.
 */
const READS: { [S in keyof typeof ACCESS_CHANGING_WRITES]: string[] } = {
  accounts: ['get', 'list'],
  vaults: ['find', 'get', 'list'],
  connectTokens: ['get', 'list'],
  connectServers: ['get', 'findById', 'findBySecretHash', 'list', 'vaults'],
  clients: ['findById', 'list'],
  resourceServers: ['get', 'findByIdentifier', 'findBySecretHash', 'list', 'scopes'],
};

let dir: string;
let storage: Storage;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'keyhold-access-cache-'));
  storage = await openSqlite(join(dir, 'db.sqlite'));
});
afterAll(async () => {
  await storage.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('the access cache sees every write to what it caches', () => {
  for (const [store, writes] of Object.entries(ACCESS_CHANGING_WRITES)) {
    it(`${store}: every method is a known read or a watched write`, () => {
      const methods = Object.keys(storage[store as keyof typeof READS]).sort();
      expect(methods).toEqual([...READS[store as keyof typeof READS], ...writes].sort());
    });
  }
});
