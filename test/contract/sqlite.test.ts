import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { openSqlite } from '../../src/storage/sqlite/open.js';
import { oauthStorageContract } from './oauth-storage-contract.js';
import { storageContract } from './storage-contract.js';

const dir = mkdtempSync(join(tmpdir(), 'keyhold-contract-'));
let n = 0;
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// A real database file per test (WAL and all), never an in-memory stand-in.
const open = () => openSqlite(join(dir, `db-${n++}.sqlite`));
storageContract('sqlite', open);
oauthStorageContract('sqlite', open);
