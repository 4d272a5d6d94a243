import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backupSqlite } from '../../src/bootstrap/backup/backup-sqlite.js';
import { copyTables, countRows } from '../../src/bootstrap/backup/copy-tables.js';
import { BackupError, RestoreTargetError } from '../../src/bootstrap/backup/errors.js';
import { exportLogical } from '../../src/bootstrap/backup/export-logical.js';
import { restoreInto } from '../../src/bootstrap/backup/restore.js';
import { resetSerials } from '../../src/bootstrap/backup/serials.js';
import { readSqliteFile, writeSqliteFile } from '../../src/bootstrap/backup/sqlite-file.js';
import { keyToOpen } from '../../src/bootstrap/store.js';
import { MasterKeyError } from '../../src/crypto/master-key.js';
import { openPostgresAsItIs } from '../../src/storage/postgres/as-it-is.js';
import { DIALECT_TYPES, knownMigrations } from '../../src/storage/sql/migrations.js';
import { migrate } from '../../src/storage/sql/storage.js';
import { TABLES_IN_FOREIGN_KEY_ORDER } from '../../src/storage/sql/table-order.js';
import type { Database } from '../../src/storage/sql/tables.js';
import { databasePath } from '../../src/storage/sqlite/backend.js';
import { betterSqliteDialect } from '../../src/storage/sqlite/driver.js';
import { client, startTestApp } from '../helpers/app.js';
import { type PostgresCluster, startPostgres } from '../helpers/postgres.js';

/**
 * The generic table copy behind the PostgreSQL export and restore (src/bootstrap/backup/), between
 * real SQLite files and a real PostgreSQL (test/helpers/postgres.ts).
 */

const dir = mkdtempSync(join(tmpdir(), 'keyhold-backup-copy-'));
let cluster: PostgresCluster;
const pools: Kysely<Database>[] = [];

beforeAll(async () => {
  cluster = await startPostgres();
}, 120_000);

afterAll(async () => {
  for (const db of pools) await db.destroy();
  cluster?.stop();
  rmSync(dir, { recursive: true, force: true });
});

let files = 0;
const newFile = () => join(dir, `db-${files++}.sqlite`);

async function postgres(): Promise<Kysely<Database>> {
  const url = await cluster.createDatabase();
  const db = openPostgresAsItIs(url, 'keyhold test');
  pools.push(db);
  return db;
}

interface Column {
  name: string;
  type: string;
  notnull: number;
  pk: number;
}

const ROWS = 3;

/** A value of a column's declared type for row `i`: the awkward ones a copy could bend. */
function valueFor(table: string, column: Column, i: number): unknown {
  switch (column.type.toLowerCase()) {
    case 'text':
      return `${table}.${column.name}#${i} é€𝄞 'single' "double" \\ back\nline\ttab`;
    case 'blob':
      return Buffer.concat([Buffer.from([i, 0x00, 0xff, 0x80]), randomBytes(12 + i * 20)]);
    case 'bigint':
      return [0, 1_765_432_109_876, Number.MAX_SAFE_INTEGER][i];
    default:
      // integer: audit_events.seq with gaps (a pruned trail), others at the edges of PostgreSQL's int4
      return column.pk ? [7, 42, 1000][i] : [0, -5, 2_147_483_647][i];
  }
}

/**
 * A SQLite file at this build's schema with ROWS rows in every table: each column of each row a
 * value of its type (text with quotes, newlines and characters beyond the BMP; blobs with every
 * kind of byte; the largest integers the columns take), nullable columns null in one row, every
 * foreign key pointing at a row of its table.
 */
async function filledSqlite(): Promise<string> {
  const file = newFile();
  await writeSqliteFile(file, ({ db }) => migrate(db, DIALECT_TYPES.sqlite));
  const raw = new BetterSqlite3(file);
  try {
    raw.pragma('foreign_keys = ON');
    raw.exec('begin');
    for (const { name } of TABLES_IN_FOREIGN_KEY_ORDER) {
      const columns = raw.pragma(`table_info(${name})`) as Column[];
      const references = new Map(
        (raw.pragma(`foreign_key_list(${name})`) as { from: string; table: string; to: string }[]).map(
          (f) => [f.from, f],
        ),
      );
      const insert = raw.prepare(
        `insert into ${name} (${columns.map((c) => c.name).join(', ')}) values (${columns.map(() => '?').join(', ')})`,
      );
      for (let i = 0; i < ROWS; i++) {
        insert.run(
          columns.map((column) => {
            if (!column.notnull && !column.pk && i === 1) return null;
            const reference = references.get(column.name);
            if (!reference) return valueFor(name, column, i);
            const parent = raw
              .prepare(
                `select ${reference.to} as value from ${reference.table} order by ${reference.to} limit 1 offset ?`,
              )
              .get(i) as { value: unknown };
            return parent.value;
          }),
        );
      }
    }
    raw.exec('commit');
  } finally {
    raw.close();
  }
  return file;
}

/**
 * Rows enough to take several pages (copy-tables.ts reads 16 rows, then up to 256 at a time,
 * fewer when they are large): 700 audit events (a one-column key, with gaps), 600 recovery codes of one user (a
 * two-column key, half of it a blob), 24 files of 1 MiB each (pages cut down by size).
 */
function addPages(file: string): Partial<Record<keyof Database, number>> {
  const raw = new BetterSqlite3(file);
  try {
    raw.exec('begin');
    const event = raw.prepare(
      `insert into audit_events (seq, occurred_at, actor_type, actor_id, action, resource_type, result, count)
       values (?, ?, 'user', ?, 'READ', 'item', 'SUCCESS', ?)`,
    );
    for (let i = 0; i < 700; i++)
      event.run(2000 + i * 4, `2026-02-01T00:00:${String(i % 60).padStart(2, '0')}.000Z`, `u${i}`, i);
    const user = (raw.prepare('select id from users order by id limit 1').get() as { id: string }).id;
    const code = raw.prepare(
      'insert into user_recovery_codes (user_id, code_hash, used_at) values (?, ?, ?)',
    );
    for (let i = 0; i < 600; i++)
      code.run(user, randomBytes(32), i % 3 ? null : `2026-03-01T00:00:0${i % 10}.000Z`);
    const item = raw.prepare('select id, vault_id from items order by id limit 1').get() as {
      id: string;
      vault_id: string;
    };
    const attach = raw.prepare(
      'insert into files (id, item_id, vault_id, meta, size, content, created_at) values (?, ?, ?, ?, ?, ?, ?)',
    );
    for (let i = 0; i < 24; i++)
      attach.run(
        `bulk-file-${String(i).padStart(2, '0')}`,
        item.id,
        item.vault_id,
        randomBytes(40),
        1 << 20,
        randomBytes(1 << 20),
        '2026-04-01T00:00:00.000Z',
      );
    raw.exec('commit');
    return { audit_events: 700, user_recovery_codes: 600, files: 24 };
  } finally {
    raw.close();
  }
}

/** Every row of every table as SQLite quotes its values: type and bytes, exactly. */
function quotedRows(file: string): Record<string, string[][]> {
  const raw = new BetterSqlite3(file, { readonly: true });
  try {
    const tables: Record<string, string[][]> = {};
    for (const { name, key } of TABLES_IN_FOREIGN_KEY_ORDER) {
      const columns = (raw.pragma(`table_info(${name})`) as Column[]).map((c) => `quote(${c.name})`);
      tables[name] = raw
        .prepare(`select ${columns.join(', ')} from ${name} order by ${key.join(', ')}`)
        .raw()
        .all() as string[][];
    }
    return tables;
  } finally {
    raw.close();
  }
}

/** `source` copied into `target`, in one transaction of the target, as a restore does. */
const copyInto = (source: Kysely<Database>, target: Kysely<Database>) =>
  target.transaction().execute(async (trx) => {
    const copied = await copyTables(source, trx);
    await resetSerials(trx);
    return copied;
  });

/** A PostgreSQL snapshot of `db`, as an export reads it. */
const snapshot = <T>(db: Kysely<Database>, work: (snap: Kysely<Database>) => Promise<T>) =>
  db.transaction().setIsolationLevel('repeatable read').setAccessMode('read only').execute(work);

describe('the generic table copy', () => {
  it('round-trips SQLite → PostgreSQL → SQLite keeping every row of every table byte for byte', {
    timeout: 60_000,
  }, async () => {
    const original = await filledSqlite();
    const bulk = addPages(original);
    const expected = quotedRows(original);
    for (const { name } of TABLES_IN_FOREIGN_KEY_ORDER)
      expect(expected[name], name).toHaveLength(ROWS + (bulk[name] ?? 0));

    const postgresDb = await postgres();
    await migrate(postgresDb, DIALECT_TYPES.postgres);
    const intoPostgres = await readSqliteFile(original, ({ db }) => copyInto(db, postgresDb));
    expect(Object.keys(intoPostgres)).toEqual(TABLES_IN_FOREIGN_KEY_ORDER.map((t) => t.name));
    for (const [name, rows] of Object.entries(expected))
      expect(intoPostgres[name as keyof Database]).toBe(rows.length);
    expect(await countRows(postgresDb)).toEqual(intoPostgres);

    const back = newFile();
    await writeSqliteFile(back, async ({ db }) => {
      await migrate(db, DIALECT_TYPES.sqlite);
      await snapshot(postgresDb, (snap) => copyInto(snap, db));
    });
    expect(quotedRows(back)).toEqual(expected);

    // The serial sequence was moved past the copied ids: the next audit event takes 4797.
    const next = await sql<{ seq: string }>`
      insert into audit_events (occurred_at, actor_type, actor_id, action, resource_type, result)
      values ('2026-01-01T00:00:00.000Z', 'system', 'test', 'READ', 'vault', 'SUCCESS') returning seq`.execute(
      postgresDb,
    );
    expect(Number(next.rows[0]?.seq)).toBe(4797);
  });
});

describe('the copy of large rows', () => {
  it('holds at most about 8 MiB of rows in a page, however large each row is (files of many megabytes)', {
    timeout: 60_000,
  }, async () => {
    const source = await filledSqlite();
    // After its few small files, 20 of 4 MiB each (the default largest is 5 MB): small and large
    // mixed, as files are.
    const raw = new BetterSqlite3(source);
    const item = raw.prepare('select id, vault_id from items order by id limit 1').get() as {
      id: string;
      vault_id: string;
    };
    const attach = raw.prepare(
      'insert into files (id, item_id, vault_id, meta, size, content, created_at) values (?, ?, ?, ?, ?, ?, ?)',
    );
    for (let i = 0; i < 20; i++)
      attach.run(`large-${i}`, item.id, item.vault_id, randomBytes(40), 4 << 20, randomBytes(4 << 20), 'x');
    raw.close();

    const target = newFile();
    const pages: number[] = [];
    await writeSqliteFile(target, async ({ raw: targetRaw }) => {
      await migrate(
        new Kysely<Database>({ dialect: betterSqliteDialect(targetRaw).dialect }),
        DIALECT_TYPES.sqlite,
      );
      // The same connection, its inserts into files measured.
      const measured = new Kysely<Database>({
        dialect: betterSqliteDialect(targetRaw).dialect,
        log: (event) => {
          if (event.level === 'query' && /^insert into "files"/.test(event.query.sql))
            pages.push(
              event.query.parameters.reduce<number>((n, p) => n + (Buffer.isBuffer(p) ? p.length : 0), 0),
            );
        },
      });
      await readSqliteFile(source, ({ db }) => copyInto(db, measured));
    });
    expect(pages.reduce((a, b) => a + b, 0)).toBeGreaterThan(80 << 20);
    // Paged by the size of the rows of the page before, it took 256 rows after a page of small
    // ones: 256 files of 5 MB are 1.3 GB in memory, and beyond the 1 GB PostgreSQL takes in one
    // message (an export or a restore of such a database failed).
    expect(Math.max(...pages)).toBeLessThanOrEqual((8 << 20) + (4 << 20) + 4096);
  });
});

describe('a backup into PostgreSQL and out again', () => {
  let backup: string;
  let masterKey: Buffer;
  let itemCount: number;

  beforeAll(async () => {
    const test = await startTestApp();
    try {
      const call = client(test.app, test.token);
      itemCount = 0;
      for (const name of ['one', 'two', 'empty']) {
        const vault = (await call.post('/vaults', { name })).json() as { id: string };
        for (let n = 0; name !== 'empty' && n < 4; n++) {
          const created = await call.post(`/vaults/${vault.id}/items`, {
            title: `${name} ${n}`,
            fields: [
              { id: 'password', type: 'CONCEALED', purpose: 'PASSWORD', label: 'password', value: `pw ${n}` },
            ],
          });
          expect(created.statusCode).toBe(201);
          itemCount++;
        }
      }
      masterKey = keyToOpen(test.config, test.dir);
      backup = join(dir, 'app.backup');
      // Taken while the app's storage holds the database open.
      const report = await backupSqlite(databasePath(test.dir), backup, masterKey);
      expect(report).toMatchObject({ items: itemCount, vaults: 3, decryptedVaults: 2 });
    } finally {
      await test.close();
    }
  }, 60_000);

  it('restores into an empty PostgreSQL database, verified there, and exports the very same rows back', {
    timeout: 60_000,
  }, async () => {
    const target = await postgres();
    const restored = await restoreInto(target, backup, masterKey, 'the test database');
    const latest = (await knownMigrations()).at(-1);
    expect(restored).toMatchObject({
      target: 'the test database',
      schemaVersion: latest,
      restoredSchemaVersion: latest,
      items: itemCount,
      vaults: 3,
      decryptedVaults: 2,
    });

    const exported = join(dir, 'exported.backup');
    const report = await exportLogical(target, exported, masterKey);
    expect(report).toMatchObject({
      method: 'logical-export',
      items: itemCount,
      vaults: 3,
      decryptedVaults: 2,
    });
    expect(report.tables).toEqual(restored.tables);
    expect(quotedRows(exported)).toEqual(quotedRows(backup));
  });

  it('refuses a target that holds Keyhold rows, a wrong master key, an altered backup: the target keeps no row', {
    timeout: 60_000,
  }, async () => {
    const full = await postgres();
    await restoreInto(full, backup, masterKey);
    await expect(restoreInto(full, backup, masterKey, 'the full database')).rejects.toThrow(
      new RestoreTargetError(
        'the full database already holds Keyhold data (rows in meta, accounts, users, …); a restore goes into an empty database only',
      ),
    );

    const empty = await postgres();
    await expect(restoreInto(empty, backup, randomBytes(32))).rejects.toBeInstanceOf(MasterKeyError);

    const bytes = readFileSync(backup);
    const db = new BetterSqlite3(backup, { readonly: true });
    const wrapped = (db.prepare('select wrapped_key from vaults limit 1').get() as { wrapped_key: Buffer })
      .wrapped_key;
    db.close();
    const at = bytes.indexOf(wrapped) + 8;
    bytes.writeUInt8(bytes.readUInt8(at) ^ 0x40, at);
    const altered = join(dir, 'altered.backup');
    writeFileSync(altered, bytes);
    await expect(restoreInto(empty, altered, masterKey)).rejects.toBeInstanceOf(BackupError);

    const counts = await countRows(empty);
    expect(Object.values(counts).every((rows) => rows === 0)).toBe(true);
    // A failed restore leaves an empty database, so the next one may go ahead.
    expect((await restoreInto(empty, backup, masterKey)).items).toBe(itemCount);
  });
});
