import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { withAccessCache } from '../../src/storage/cache/access-cache.js';
import type { Storage } from '../../src/storage/ports.js';
import { openSqlite } from '../../src/storage/sqlite/open.js';
import { connectScene, heldTokenReads } from '../helpers/connect-scene.js';

const dir = mkdtempSync(join(tmpdir(), 'keyhold-access-cache-feed-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const now = '2026-01-02T03:04:05.000Z';

/** A token of a fresh account's fresh server, inserted through `storage`. */
const tokenIn = async (storage: Storage) => (await connectScene(storage, now)).token;

/**
 * The access cache drops what it holds on every `access` change the feed delivers, and keeps
 * nothing read while one was delivered: the read may have seen the state before it.
 */
describe('the access cache and the change feed', () => {
  it('does not keep a read that a delivered change overtook, and serves the change next', async () => {
    const storage = await openSqlite(join(dir, 'overtaken.sqlite'));
    const token = await tokenIn(storage);
    // A read that has read the database and is not back yet when the change is delivered.
    const slow = heldTokenReads(storage);
    const cached = withAccessCache(slow.storage, storage.changes);
    slow.hold();
    const overtaken = cached.connectTokens.get(token.id);
    await new Promise((resolve) => setImmediate(resolve));
    await storage.transaction((tx) => tx.connectTokens.revoke(token.accountId, token.id, now));
    slow.release();
    expect((await overtaken)?.revokedAt).toBeNull(); // what that request read, before the change
    expect((await cached.connectTokens.get(token.id))?.revokedAt).toBe(now);
    await storage.close();
  });

  it('drops everything on an access change, and nothing on other topics', async () => {
    const storage = await openSqlite(join(dir, 'topics.sqlite'));
    const token = await tokenIn(storage);
    const first = await storage.connectTokens.get(token.id);
    expect(await storage.connectTokens.get(token.id)).toBe(first);
    await storage.changes.announce(new Set(['catalog', 'signing-keys']));
    expect(await storage.connectTokens.get(token.id)).toBe(first);
    await storage.changes.announce(new Set(['access']));
    const second = await storage.connectTokens.get(token.id);
    expect(second).not.toBe(first);
    expect(second).toEqual(first);
    await storage.close();
  });
});
