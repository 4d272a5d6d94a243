import { type Kysely, sql } from 'kysely';
import { TABLES_IN_FOREIGN_KEY_ORDER, type TableKey, type TableName } from '../../storage/sql/table-order.js';
import type { Database } from '../../storage/sql/tables.js';
import { BackupError } from './errors.js';

/** Rows per table, for the tables a database has. */
export type RowCounts = Partial<Record<TableName, number>>;

/**
 * Rows read at a time: at most PAGE_ROWS, and as many as keep a page near PAGE_BYTES once the
 * first page (FIRST_PAGE_ROWS, few: a table's rows may be files of many megabytes) showed how
 * large the table's rows are.
 */
const FIRST_PAGE_ROWS = 16;
const PAGE_ROWS = 256;
const PAGE_BYTES = 8 * 1024 * 1024;

type Row = Record<string, unknown>;
/** The same database, typed loosely: tables are named at run time from the list. */
const loose = (db: Kysely<Database>) => db as unknown as Kysely<Record<string, Row>>;

/** The Keyhold tables `db` has (an older schema has fewer), in foreign-key order. */
export async function tablesOf(db: Kysely<Database>): Promise<TableKey[]> {
  const present = new Set((await db.introspection.getTables()).map((t) => t.name));
  return TABLES_IN_FOREIGN_KEY_ORDER.filter((t) => present.has(t.name));
}

/** How many rows each Keyhold table of `db` holds. */
export async function countRows(db: Kysely<Database>): Promise<RowCounts> {
  const counts: RowCounts = {};
  for (const table of await tablesOf(db)) {
    const row = await loose(db)
      .selectFrom(table.name)
      .select(sql<number | string>`count(*)`.as('n'))
      .executeTakeFirstOrThrow();
    // PostgreSQL answers a count as a string (a bigint).
    counts[table.name] = Number(row.n);
  }
  return counts;
}

/**
 * Copies every row of every Keyhold table of `source` into `target`, table by table in
 * foreign-key order, each table in primary-key order a page at a time, values as the driver reads
 * them. Works between any two dialects; both databases must be at the same schema version, and
 * the target's tables empty. Consistency is the caller's: run it on a read transaction of the
 * source (a snapshot) and a transaction of the target (all or nothing). Answers the rows copied.
 */
export async function copyTables(source: Kysely<Database>, target: Kysely<Database>): Promise<RowCounts> {
  const copied: RowCounts = {};
  for (const table of await tablesOf(source)) {
    let count = 0;
    let limit = FIRST_PAGE_ROWS;
    let after: unknown[] | undefined;
    for (;;) {
      let query = loose(source).selectFrom(table.name).selectAll();
      // Keyset paging: each page starts after the previous page's last key, so a page costs
      // the same at the end of a large table (the audit trail) as at its start.
      if (after) query = query.where(sql<boolean>`(${columns(table.key)}) > (${sql.join(after)})`);
      for (const column of table.key) query = query.orderBy(column);
      const rows = await query.limit(limit).execute();
      if (rows.length === 0) break;
      await loose(target).insertInto(table.name).values(rows).execute();
      count += rows.length;
      if (rows.length < limit) break;
      const last = rows[rows.length - 1] as Row;
      after = table.key.map((column) => last[column]);
      limit = nextLimit(rows);
    }
    copied[table.name] = count;
  }
  return copied;
}

const columns = (key: readonly string[]) => sql.join(key.map((column) => sql.ref(column)));

/** Rows for the next page: as many as keep a page of rows like these near PAGE_BYTES. */
function nextLimit(rows: Row[]): number {
  let bytes = 0;
  for (const row of rows)
    for (const value of Object.values(row))
      bytes += Buffer.isBuffer(value) ? value.length : typeof value === 'string' ? value.length : 8;
  const perRow = Math.max(1, bytes / rows.length);
  return Math.max(1, Math.min(PAGE_ROWS, Math.floor(PAGE_BYTES / perRow)));
}

/** Refuses a copy whose rows per table differ from the rows read. */
export function expectSameRows(expected: RowCounts, found: RowCounts, where: string): void {
  for (const [table, rows] of Object.entries(expected)) {
    if (found[table as keyof RowCounts] !== rows)
      throw new BackupError(
        `${where}: table ${table} holds ${found[table as keyof RowCounts] ?? 0} rows where ${rows} were copied`,
      );
  }
}
