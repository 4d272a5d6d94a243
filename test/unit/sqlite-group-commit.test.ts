import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Stores } from '../../src/storage/ports.js';
import type { RunHeld } from '../../src/storage/sql/precompiled.js';
import type { Database } from '../../src/storage/sql/tables.js';
import { betterSqliteDialect } from '../../src/storage/sqlite/driver.js';
import { groupCommitTransactions } from '../../src/storage/sqlite/group-commit.js';
import { walSync } from '../../src/storage/sqlite/wal-sync.js';

/**
 * Group commit on a real SQLite file: a unit is answered only once the batch's commit is synced
 * (`durable`), and the connection runs at synchronous=FULL outside the batch. The units here
 * write through the transaction itself: group commit hands the unit whatever `storesOf` makes
 * of it, and these tests only need the transaction.
 */

interface Tables {
  t: { a: number };
}

let dir: string;
let file: string;
let database: BetterSqlite3.Database;
let db: Kysely<Tables>;
let runHeld: RunHeld;
beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'keyhold-group-commit-'));
  file = join(dir, 'db.sqlite');
  database = new BetterSqlite3(file);
  database.pragma('journal_mode = WAL');
  database.pragma('synchronous = FULL');
  const dialect = betterSqliteDialect(database);
  runHeld = dialect.runHeld;
  db = new Kysely<Tables>({ dialect: dialect.dialect });
  await db.schema.createTable('t').addColumn('a', 'integer').execute();
});
afterEach(async () => {
  await db.destroy();
  rmSync(dir, { recursive: true, force: true });
});

type Unit = (trx: Kysely<Tables>) => Promise<number>;
/** Group commit whose units get the transaction, and a `durable` the test settles by hand. */
function grouped() {
  const syncs: { resolve: () => void; reject: (error: unknown) => void }[] = [];
  const durable = () => new Promise<void>((resolve, reject) => syncs.push({ resolve, reject }));
  const run = groupCommitTransactions(
    db as unknown as Kysely<Database>,
    (trx) => ({
      stores: { trx } as unknown as Stores,
      mark: () => 0,
      rollbackTo: () => undefined,
      finish: async () => undefined,
    }),
    durable,
    runHeld,
  );
  const unit = (work: Unit) => run((tx) => work((tx as unknown as { trx: Kysely<Tables> }).trx));
  return { unit, syncs };
}

/** A unit that inserts `a` and answers it. */
const inserting =
  (a: number): Unit =>
  async (trx) => {
    await trx.insertInto('t').values({ a }).execute();
    return a;
  };

const settled = async (p: Promise<unknown>) => {
  let state = 'pending';
  p.then(
    () => (state = 'resolved'),
    () => (state = 'rejected'),
  );
  await new Promise((r) => setImmediate(r));
  return state;
};
const committedRows = () => {
  const other = new BetterSqlite3(file, { readonly: true });
  try {
    return (other.prepare('select a from t order by a').all() as { a: number }[]).map((r) => r.a);
  } finally {
    other.close();
  }
};
const synchronous = () => database.pragma('synchronous', { simple: true });
const untilSyncs = async (syncs: unknown[], n: number) => {
  while (syncs.length < n) await new Promise((r) => setImmediate(r));
};

describe('group commit on SQLite', () => {
  it('answers the units of a batch only once its commit is synced, and is back at FULL after it', async () => {
    const { unit, syncs } = grouped();
    const insert = (a: number) => unit(inserting(a));
    const first = insert(1);
    const second = insert(2);
    await untilSyncs(syncs, 1);
    // Committed (another connection sees both rows), not yet answered, FULL for what comes next.
    expect(committedRows()).toEqual([1, 2]);
    expect(await settled(first)).toBe('pending');
    expect(await settled(second)).toBe('pending');
    expect(synchronous()).toBe(2);
    syncs[0]?.resolve();
    expect(await Promise.all([first, second])).toEqual([1, 2]);
  });

  it('fails every unit of a batch whose sync fails, and a failed unit alone when it throws', async () => {
    const { unit, syncs } = grouped();
    const ok = unit(inserting(1));
    const bad = unit(async (trx) => {
      await trx.insertInto('t').values({ a: 2 }).execute();
      throw new Error('unit failed');
    });
    await untilSyncs(syncs, 1);
    expect(committedRows()).toEqual([1]); // the throwing unit's row was rolled back with it
    syncs[0]?.reject(new Error('disk gone'));
    await expect(ok).rejects.toThrow('disk gone');
    await expect(bad).rejects.toThrow('disk gone');
    expect(synchronous()).toBe(2);
  });

  it('runs no other statement on the connection until the sync is done', async () => {
    const { unit, syncs } = grouped();
    const first = unit(inserting(1));
    await untilSyncs(syncs, 1);
    // A read and the next batch wait: they would see the first batch before it is durable.
    const read = db.selectFrom('t').select('a').execute();
    const second = unit(inserting(2));
    expect(await settled(read)).toBe('pending');
    expect(syncs).toHaveLength(1);
    syncs[0]?.resolve();
    expect(await first).toBe(1);
    expect(await read).toEqual([{ a: 1 }]);
    await untilSyncs(syncs, 2);
    syncs[1]?.resolve();
    expect(await second).toBe(2);
  });

  it("does the work units queue once for the batch, before its commit, and drops a failed unit's", async () => {
    const queued: number[] = [];
    const finished: number[][] = [];
    let failFinish = false;
    const syncs: (() => void)[] = [];
    const run = groupCommitTransactions(
      db as unknown as Kysely<Database>,
      (trx) => ({
        stores: { queue: (a: number) => queued.push(a) } as unknown as Stores,
        mark: () => queued.length,
        rollbackTo: (mark) => {
          queued.length = mark;
        },
        finish: async () => {
          finished.push([...queued]);
          if (failFinish) throw new Error('finish failed');
          for (const a of queued.splice(0))
            await (trx as unknown as Kysely<Tables>).insertInto('t').values({ a }).execute();
        },
      }),
      () =>
        new Promise<void>((resolve) => {
          syncs.push(resolve);
        }),
      runHeld,
    );
    const queue = (a: number, fail = false) =>
      run(async (tx) => {
        (tx as unknown as { queue: (a: number) => void }).queue(a);
        if (fail) throw new Error(`unit ${a} failed`);
        return a;
      });
    const units = [queue(10), queue(11, true), queue(12)];
    await untilSyncs(syncs, 1);
    // One finish for the three units, without the failed one's, committed before the sync.
    expect(finished).toEqual([[10, 12]]);
    expect(committedRows()).toEqual([10, 12]);
    syncs[0]?.();
    expect(await Promise.allSettled(units)).toMatchObject([
      { status: 'fulfilled', value: 10 },
      { status: 'rejected', reason: { message: 'unit 11 failed' } },
      { status: 'fulfilled', value: 12 },
    ]);

    // A finish that fails fails every unit of its batch, and commits none of them.
    failFinish = true;
    const failing = [queue(20), queue(21)];
    await expect(Promise.all(failing)).rejects.toThrow('finish failed');
    await expect(failing[1]).rejects.toThrow('finish failed');
    expect(committedRows()).toEqual([10, 12]);
    expect(syncs).toHaveLength(1);
  });

  it('syncs the WAL file of a real database, and refuses once closed', async () => {
    const wal = walSync(file);
    await db.insertInto('t').values({ a: 1 }).execute();
    // Calls while one runs share the next sync; all resolve.
    await Promise.all([wal.sync(), wal.sync(), wal.sync()]);
    await wal.close();
    await expect(wal.sync()).rejects.toThrow('closed');
  });

  it('rejects a sync when there is no WAL file, and tries again on the next', async () => {
    const missing = walSync(join(dir, 'none.sqlite'));
    await expect(missing.sync()).rejects.toThrow(/ENOENT/);
    await expect(missing.sync()).rejects.toThrow(/ENOENT/);
    await missing.close();
  });
});
