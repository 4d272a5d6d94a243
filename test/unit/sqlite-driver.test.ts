import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { CompiledQuery, Kysely, sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RunIfFree } from '../../src/storage/sql/precompiled.js';
import { betterSqliteDialect } from '../../src/storage/sqlite/driver.js';

interface Tables {
  t: { a: number; b?: string };
}

let dir: string;
let file: string;
let db: Kysely<Tables>;
let runIfFree: RunIfFree;
beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'keyhold-driver-'));
  file = join(dir, 'db.sqlite');
  const database = new BetterSqlite3(file);
  database.pragma('journal_mode = WAL');
  const sqlite = betterSqliteDialect(database);
  db = new Kysely<Tables>({ dialect: sqlite.dialect });
  runIfFree = sqlite.runIfFree;
  await db.schema.createTable('t').addColumn('a', 'integer').execute();
});
afterEach(async () => {
  await db.destroy();
  rmSync(dir, { recursive: true, force: true });
});

describe('the better-sqlite3 driver', () => {
  it('returns rows keyed by column name, and write results', async () => {
    const inserted = await db
      .insertInto('t')
      .values([{ a: 1 }, { a: 2 }])
      .executeTakeFirst();
    expect(inserted.numInsertedOrUpdatedRows).toBe(2n);
    expect(await db.selectFrom('t').select(['a', 'a as again']).orderBy('a').execute()).toEqual([
      { a: 1, again: 1 },
      { a: 2, again: 2 },
    ]);
    const updated = await db.updateTable('t').set({ a: 3 }).where('a', '=', 2).executeTakeFirst();
    expect(updated.numUpdatedRows).toBe(1n);
  });

  it('reads the columns of a cached query again after a schema change', async () => {
    await db.insertInto('t').values({ a: 1 }).execute();
    expect(await db.selectFrom('t').selectAll().execute()).toStrictEqual([{ a: 1 }]);
    await db.schema.alterTable('t').addColumn('b', 'text').execute();
    expect(await db.selectFrom('t').selectAll().execute()).toStrictEqual([{ a: 1, b: null }]);
    // A rolled-back schema change: the columns read inside the transaction are not kept.
    const trx = await db.startTransaction().execute();
    await sql`alter table t add column c text`.execute(trx);
    expect(await trx.selectFrom('t').selectAll().execute()).toStrictEqual([{ a: 1, b: null, c: null }]);
    await trx.rollback().execute();
    expect(await db.selectFrom('t').selectAll().execute()).toStrictEqual([{ a: 1, b: null }]);
  });

  it('keeps savepoints: a unit rolled back alone, the rest committed', async () => {
    const trx = await db.startTransaction().execute();
    await trx.insertInto('t').values({ a: 1 }).execute();
    const unit = await trx.savepoint('unit').execute();
    await unit.insertInto('t').values({ a: 2 }).execute();
    await unit.rollbackToSavepoint('unit').execute();
    await unit.releaseSavepoint('unit').execute();
    await trx.commit().execute();
    expect(await db.selectFrom('t').select('a').execute()).toEqual([{ a: 1 }]);
  });

  it('takes the write lock when a transaction begins, not at its first write', async () => {
    const other = new BetterSqlite3(file, { timeout: 0 });
    try {
      await db.transaction().execute(async (trx) => {
        await trx.selectFrom('t').selectAll().execute();
        expect(() => other.prepare('insert into t (a) values (9)').run()).toThrow(/locked|busy/i);
      });
    } finally {
      other.close();
    }
  });

  it('runs a query at once only while no transaction holds the connection', async () => {
    await db.insertInto('t').values({ a: 1 }).execute();
    const select = CompiledQuery.raw('select a from t order by a');
    expect(runIfFree(select)?.rows).toEqual([{ a: 1 }]);
    const trx = await db.startTransaction().execute();
    await trx.insertInto('t').values({ a: 2 }).execute();
    // Run now, it would read the transaction's uncommitted row, or write inside it.
    expect(runIfFree(select)).toBeUndefined();
    expect(runIfFree(CompiledQuery.raw('insert into t (a) values (3)'))).toBeUndefined();
    await trx.rollback().execute();
    expect(runIfFree(select)?.rows).toEqual([{ a: 1 }]);
  });

  it('hands the connection to waiting queries in the order they asked, after a transaction', async () => {
    const order: number[] = [];
    const trx = await db.startTransaction().execute();
    const waiting = [1, 2, 3].map((n) =>
      db
        .insertInto('t')
        .values({ a: n })
        .execute()
        .then(() => order.push(n)),
    );
    await trx.insertInto('t').values({ a: 0 }).execute();
    // The others wait for the transaction: none of their inserts may land inside it.
    await new Promise((resolve) => setImmediate(resolve));
    expect(order).toEqual([]);
    await trx.rollback().execute();
    await Promise.all(waiting);
    expect(order).toEqual([1, 2, 3]);
    expect(await sql<{ a: number }>`select a from t order by rowid`.execute(db)).toMatchObject({
      rows: [{ a: 1 }, { a: 2 }, { a: 3 }],
    });
  });
});
