import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { openSqlite } from '../../src/storage/sqlite/open.js';
import { concurrencyContract } from './concurrency-contract.js';
import { oauthStorageContract } from './oauth-storage-contract.js';
import { replicaLogContract } from './replica-log-contract.js';
import { storageContract } from './storage-contract.js';

const dir = mkdtempSync(join(tmpdir(), 'keyhold-contract-'));
let n = 0;
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// A real database file per test (WAL and all), never an in-memory stand-in.
const open = () => openSqlite(join(dir, `db-${n++}.sqlite`));
storageContract('sqlite', open);
oauthStorageContract('sqlite', open);
// One process owns a SQLite database (the data directory's lock), so its "nodes" are that
// process's one handle, shared: closed once.
concurrencyContract('sqlite', async (count) => {
  const storage = await open();
  let open_ = true;
  const shared = {
    ...storage,
    close: async () => {
      if (!open_) return;
      open_ = false;
      await storage.close();
    },
  };
  return Array.from({ length: count }, () => shared);
});
replicaLogContract('sqlite', async (count) => {
  const storage = await open();
  let open_ = true;
  const shared = {
    ...storage,
    close: async () => {
      if (!open_) return;
      open_ = false;
      await storage.close();
    },
  };
  return Array.from({ length: count }, () => shared);
});
