import { Kysely, PostgresDialect, sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '../../src/crypto/ids.js';
import { toKeyholdError } from '../../src/errors/normalise.js';
import { isStorageUnavailable } from '../../src/storage/errors.js';
import type { PoolStats } from '../../src/storage/ports.js';
import { postgresBackend, withoutPassword } from '../../src/storage/postgres/backend.js';
import { MIGRATION_LOCK_KEY } from '../../src/storage/postgres/migrate.js';
import { openPostgres } from '../../src/storage/postgres/open.js';
import { keyholdPool } from '../../src/storage/postgres/pool.js';
import { knownMigrations } from '../../src/storage/sql/migrations.js';
import {
  queryAsAdmin as asAdmin,
  connectAsAdmin,
  type PostgresCluster,
  startPostgres,
} from '../helpers/postgres.js';

/** What opening PostgreSQL does beyond the contract: migrations, the pool, the driver's types. */
describe('openPostgres', () => {
  let cluster: PostgresCluster;
  beforeAll(async () => {
    cluster = await startPostgres();
  }, 120_000);
  afterAll(() => cluster?.stop());

  it('migrates an empty database once when four nodes open it at the same moment', async () => {
    const url = await cluster.createDatabase();
    const nodes = await Promise.all([1, 2, 3, 4].map(() => openPostgres(url)));
    try {
      const applied = await asAdmin<{ name: string }>(url, 'select name from kysely_migration order by name');
      expect(applied.map((r) => r.name)).toEqual(await knownMigrations());
      // Every node works on the one schema: what one writes, the others read.
      await nodes[0]?.meta.insert('written by', 'node 0');
      for (const node of nodes) expect(await node.meta.get('written by')).toBe('node 0');
      // Nobody holds the migration lock once start-up is over.
      const held = await asAdmin(
        url,
        `select 1 from pg_locks where locktype = 'advisory'
         and (classid::bigint << 32 | objid::bigint) = ${MIGRATION_LOCK_KEY}`,
      );
      expect(held).toEqual([]);
    } finally {
      await Promise.all(nodes.map((n) => n.close()));
    }
  });

  it('finds nothing in an empty database or one Keyhold migrated but never initialised; another application’s tables are something else', async () => {
    const url = await cluster.createDatabase();
    const backend = postgresBackend(url);
    expect(await backend.inspect()).toEqual({ kind: 'nothing' });
    await (await openPostgres(url)).close();
    expect(await backend.inspect()).toEqual({ kind: 'nothing' });
    // Another application on the same migrator, in a database Keyhold would share with it.
    const shared = await cluster.createDatabase();
    await asAdmin(
      shared,
      `create table kysely_migration (name varchar(255) primary key, timestamp varchar(255))`,
    );
    await asAdmin(shared, `insert into kysely_migration values ('2024_01_add_orders', 'x')`);
    await asAdmin(shared, 'create table orders (id int)');
    expect((await postgresBackend(shared).inspect()).kind).toBe('other');
    // Tables Keyhold's role may not even read are there all the same.
    const hidden = await cluster.createDatabase();
    const role = `node_${newId().slice(0, 8)}`;
    await asAdmin(hidden, `create role ${role} login`);
    await asAdmin(hidden, 'create table ledger (id int)');
    await asAdmin(hidden, `grant create on schema public to ${role}`);
    const asRole = hidden.replace('://keyhold@', `://${role}@`);
    expect((await postgresBackend(asRole).inspect()).kind).toBe('other');
    // What an extension installs (views and functions here) is not another application.
    const extended = await cluster.createDatabase();
    await asAdmin(extended, 'create extension pg_stat_statements');
    expect(await postgresBackend(extended).inspect()).toEqual({ kind: 'nothing' });
  });

  it('refuses a database whose encoding is not UTF-8, before anything is written to it', async () => {
    const name = `latin1_${newId().slice(0, 8)}`;
    await asAdmin(
      cluster.url(),
      `create database ${name} encoding 'LATIN1' lc_collate 'C' lc_ctype 'C' template template0`,
    );
    const url = cluster.url(name);
    await expect(postgresBackend(url).inspect()).rejects.toThrow(
      `${withoutPassword(url)} is encoded in LATIN1: Keyhold needs a UTF8 database (create database … encoding 'UTF8' template template0)`,
    );
    expect(await asAdmin(url, `select 1 from pg_class where relname = 'kysely_migration'`)).toEqual([]);
  });

  it('waits for a node that is migrating, then finds nothing left to do; once current, waits for nobody', async () => {
    const url = await cluster.createDatabase();
    // A node in the middle of migrating holds the lock on its connection.
    const migrating = await connectAsAdmin(url);
    await migrating.query(`select pg_advisory_lock(${MIGRATION_LOCK_KEY})`);
    let opened = false;
    const opening = openPostgres(url).then((storage) => {
      opened = true;
      return storage;
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(opened).toBe(false);
    await migrating.query(`select pg_advisory_unlock(${MIGRATION_LOCK_KEY})`);
    await migrating.end();
    const storage = await opening;
    try {
      expect(await storage.accounts.list()).toEqual([]);
    } finally {
      await storage.close();
    }
    // A node that finds the schema current does not wait for the lock at all.
    const holder = await connectAsAdmin(url);
    try {
      await holder.query(`select pg_advisory_lock(${MIGRATION_LOCK_KEY})`);
      await (await openPostgres(url)).close();
    } finally {
      await holder.end();
    }
  });

  it('names its connections, and keeps at most the pool size open, plus one for the change feed; reports its pool', async () => {
    const url = await cluster.createDatabase();
    const storage = await openPostgres(url, { poolSize: 3 });
    try {
      let busy: PoolStats | undefined;
      let most = 0;
      let mostOfNode = 0;
      const count = async () => {
        const [row] = await asAdmin<{ pool: number; node: number }>(
          url,
          `select count(*) filter (where application_name = 'keyhold')::int as pool,
                  count(*) filter (where application_name like 'keyhold%')::int as node
           from pg_stat_activity where datname = current_database()`,
        );
        most = Math.max(most, row?.pool ?? 0);
        mostOfNode = Math.max(mostOfNode, row?.node ?? 0);
      };
      // Ten transactions at once, each holding its connection for a while.
      await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          storage.transaction(async (tx) => {
            await tx.meta.insert(`k${i}`, 'v');
            await new Promise((resolve) => setTimeout(resolve, 50));
            if (i === 0) {
              busy = storage.stats().pool;
              await count();
            }
          }),
        ),
      );
      await count();
      expect(most).toBe(3);
      // What the metrics' pool gauges read (http/metrics/central-metrics.ts): all three busy, and
      // the transactions that could not get one waiting.
      expect(busy).toMatchObject({ max: 3, total: 3, idle: 0 });
      expect(busy?.waiting).toBeGreaterThan(0);
      expect(storage.stats().pool).toMatchObject({ max: 3, total: 3, idle: 3, waiting: 0 });
      // What docs/deploying.md sizes max_connections by: nodes × (pool size + 1).
      expect(mostOfNode).toBe(3 + 1);
      expect(await storage.meta.get('k9')).toBe('v');
    } finally {
      await storage.close();
    }
  });

  it('refuses a database a newer Keyhold migrated, saying so, and changes nothing', async () => {
    const url = await cluster.createDatabase();
    await (await openPostgres(url)).close();
    await asAdmin(
      url,
      "insert into kysely_migration (name, timestamp) values ('9999_from_the_future', '2030')",
    );
    await expect(openPostgres(url)).rejects.toMatchObject({ code: 'database_too_new' });
    await expect(openPostgres(url)).rejects.toThrow(
      'the database was migrated by a newer Keyhold (migration 9999_from_the_future is unknown to this version); start the newer version, or restore a backup made before the upgrade',
    );
    const applied = await asAdmin<{ name: string }>(url, 'select name from kysely_migration order by name');
    expect(applied.map((r) => r.name)).toEqual([...(await knownMigrations()), '9999_from_the_future']);
  });

  it('reads int8 as numbers, and refuses one beyond 2^53 rather than rounding it', async () => {
    const url = await cluster.createDatabase();
    const { pool } = keyholdPool(url, { size: 1 });
    const db = new Kysely<Record<string, never>>({ dialect: new PostgresDialect({ pool }) });
    try {
      const { rows } = await sql<{ n: unknown; count: unknown }>`
        select ${2 ** 53 - 1}::int8 as n, count(*) as count from generate_series(1, 3)`.execute(db);
      expect(rows).toEqual([{ n: 2 ** 53 - 1, count: 3 }]);
      await expect(sql`select 9007199254740993::int8 as n`.execute(db)).rejects.toThrow(/safe range/);
      // The connection is still good afterwards.
      expect((await sql<{ one: number }>`select 1::int8 as one`.execute(db)).rows).toEqual([{ one: 1 }]);
    } finally {
      await db.destroy();
    }
  });

  it('fails a transaction whose connection is cut between two statements with StorageUnavailableError, and serves the next on a new one', async () => {
    const url = await cluster.createDatabase();
    const storage = await openPostgres(url, { poolSize: 2 });
    try {
      await storage.meta.insert('k', 'v');
      const cut = storage.transaction(async (tx) => {
        await tx.meta.insert('inside', 'x');
        // The server ends this very session while the transaction waits between statements
        // (its client, held by the transaction, hears the error with no query running).
        await asAdmin(
          url,
          `select pg_terminate_backend(pid) from pg_stat_activity
           where application_name = 'keyhold' and datname = current_database() and state like 'idle in transaction%'`,
        );
        await new Promise((resolve) => setTimeout(resolve, 100));
        await tx.meta.get('inside');
      });
      const error = await cut.then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(isStorageUnavailable(error)).toBe(true);
      // Nothing of it committed; the next work runs on a new connection.
      expect(await storage.meta.get('inside')).toBeUndefined();
      expect(await storage.meta.get('k')).toBe('v');
    } finally {
      await storage.close();
    }
  });

  it('answers 409 conflict to the transaction the server aborts to break a deadlock; the other commits', async () => {
    const url = await cluster.createDatabase();
    const [one, two] = await Promise.all([openPostgres(url), openPostgres(url)]);
    try {
      const [a, b] = [newId(), newId()];
      for (const id of [a, b])
        await one.accounts.insert({ id, name: id, createdAt: '2026-01-01T00:00:00.000Z' });
      // Each locks one account, then, once the other holds its own, the other's.
      let held = 0;
      const bothHeld = async () => {
        held += 1;
        while (held < 2) await new Promise((resolve) => setTimeout(resolve, 10));
      };
      const crossing = (storage: typeof one, first: string, second: string) =>
        storage.transaction(async (tx) => {
          await tx.accounts.lock(first);
          await bothHeld();
          await tx.accounts.lock(second);
          return 'committed';
        });
      const results = await Promise.allSettled([crossing(one, a, b), crossing(two, b, a)]);
      expect(results.filter((r) => r.status === 'fulfilled')).toEqual([
        { status: 'fulfilled', value: 'committed' },
      ]);
      const refused = results.flatMap((r) => (r.status === 'rejected' ? [r.reason] : []));
      expect(refused.map((e) => [e.code, toKeyholdError(e).status, toKeyholdError(e).code])).toEqual([
        ['40P01', 409, 'conflict'],
      ]);
    } finally {
      await Promise.all([one.close(), two.close()]);
    }
  });

  it('answers StorageUnavailableError, not a driver error, when nothing listens at the address', async () => {
    const url = await cluster.createDatabase();
    const storage = await openPostgres(url);
    await storage.close();
    const wrongPort = url.replace(/:(\d+)\//, (_, port) => `:${Number(port) === 1 ? 2 : 1}/`);
    const error = await openPostgres(wrongPort).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isStorageUnavailable(error)).toBe(true);
  });
});
