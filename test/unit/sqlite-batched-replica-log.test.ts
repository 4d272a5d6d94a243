import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { newId } from '../../src/crypto/ids.js';
import type { ItemRecord, ItemVersionRecord, Storage } from '../../src/storage/ports.js';
import { openSqlite } from '../../src/storage/sqlite/open.js';

/**
 * The replica log under SQLite's group commit, on a real database file: the units that reach
 * their transaction in one event-loop turn share a commit, and the log is numbered once for the
 * batch (storage/sql/replica-log.ts, batchedReplicaLog). What must hold: changes in the order the
 * units ran, consecutive seqs, nothing of a unit that failed, the rest of its batch unharmed, and
 * nothing at all of a batch whose commit failed.
 */

const now = '2026-01-02T03:04:05.000Z';
let dir: string;
let file: string;
let storage: Storage;
let accountId: string;
let vaultId: string;
beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'keyhold-batched-log-'));
  file = join(dir, 'db.sqlite');
  storage = await openSqlite(file);
  accountId = newId();
  vaultId = newId();
  await storage.accounts.insert({ id: accountId, name: 'Acme', createdAt: now });
  await storage.vaults.insert({
    id: vaultId,
    accountId,
    wrappedKey: Buffer.alloc(60),
    attributes: Buffer.alloc(40),
    type: 'USER_CREATED',
    attributeVersion: 1,
    contentVersion: 1,
    createdAt: now,
    updatedAt: now,
  });
});
afterEach(async () => {
  await storage.close();
  rmSync(dir, { recursive: true, force: true });
});

const item = (): [ItemRecord, ItemVersionRecord] => {
  const id = newId();
  return [
    { id, vaultId, accountId, version: 1, createdAt: now, updatedAt: now, lastEditedBy: 'u', head: null },
    {
      itemId: id,
      version: 1,
      overview: Buffer.alloc(10),
      content: Buffer.alloc(10),
      layout: 1,
      createdAt: now,
      editedBy: 'u',
      mac: null,
    },
  ];
};

/** What another connection sees committed: the log's rows in seq order, and the log's value. */
const committed = () => {
  const other = new BetterSqlite3(file, { readonly: true });
  try {
    return {
      changes: other.prepare('select seq, kind, item_id from replica_changes order by seq').all() as {
        seq: number;
        kind: string;
        item_id: string | null;
      }[],
      value: (other.prepare('select value from replica_log where id = 1').get() as { value: number }).value,
      items: (other.prepare('select id from items').all() as { id: string }[]).map((r) => r.id).sort(),
    };
  } finally {
    other.close();
  }
};

describe('replica log in a SQLite group commit', () => {
  it('numbers the changes of a batch in the order its units ran, and leaves out a failed unit', async () => {
    const before = committed();
    const recs = Array.from({ length: 8 }, item);
    // All requested in this turn: one batch. Unit 3 fails after its write; unit 5 writes two items.
    const extra = item();
    const outcomes = await Promise.allSettled(
      recs.map(([rec, first], i) =>
        storage.transaction(async (tx) => {
          await tx.items.insert(rec, first);
          if (i === 3) throw new Error('unit 3 fails');
          if (i === 5) await tx.items.insert(...extra);
          return i;
        }),
      ),
    );
    expect(outcomes.map((o) => o.status)).toEqual(recs.map((_, i) => (i === 3 ? 'rejected' : 'fulfilled')));
    const after = committed();
    const expected = recs.flatMap(([rec], i) => (i === 3 ? [] : i === 5 ? [rec.id, extra[0].id] : [rec.id]));
    const added = after.changes.slice(before.changes.length);
    expect(added.map((c) => c.item_id)).toEqual(expected);
    expect(added.map((c) => c.seq)).toEqual(expected.map((_, i) => before.value + 1 + i));
    expect(after.value).toBe(before.value + expected.length);
    expect(after.items).toEqual([...expected].sort());
    // The failed unit's item is gone with its change.
    expect(after.items).not.toContain((recs[3] as [ItemRecord, ItemVersionRecord])[0].id);
  });

  it('keeps seqs consecutive across batches, every change read back through the store', async () => {
    const start = await storage.replicaLog.position();
    const written: string[] = [];
    for (let batch = 0; batch < 3; batch++) {
      const recs = Array.from({ length: 4 }, item);
      await Promise.all(recs.map(([rec, first]) => storage.transaction((tx) => tx.items.insert(rec, first))));
      written.push(...recs.map(([rec]) => rec.id));
    }
    const changes = await storage.replicaLog.since(start.seq, 100);
    expect(changes.map((c) => c.itemId)).toEqual(written);
    expect(changes.map((c) => c.seq)).toEqual(written.map((_, i) => start.seq + 1 + i));
    expect((await storage.replicaLog.position()).seq).toBe(start.seq + written.length);
  });

  it('records nothing of a batch whose log write fails, and rejects all of its units', async () => {
    const before = committed();
    // Take the log's row away behind the storage's back, so the batch's one bump finds nothing.
    const raw = new BetterSqlite3(file);
    raw.prepare('delete from replica_log where id = 1').run();
    raw.close();
    const recs = Array.from({ length: 3 }, item);
    const outcomes = await Promise.allSettled(
      recs.map(([rec, first]) => storage.transaction((tx) => tx.items.insert(rec, first))),
    );
    expect(outcomes.map((o) => o.status)).toEqual(['rejected', 'rejected', 'rejected']);
    for (const o of outcomes)
      expect(o.status === 'rejected' && String(o.reason)).toMatch(/replica_log has no row 1/);
    const other = new BetterSqlite3(file, { readonly: true });
    const items = other.prepare('select count(*) as n from items').get() as { n: number };
    const changes = other.prepare('select count(*) as n from replica_changes').get() as { n: number };
    other.close();
    expect(items.n).toBe(before.items.length);
    expect(changes.n).toBe(before.changes.length);
  });
});
