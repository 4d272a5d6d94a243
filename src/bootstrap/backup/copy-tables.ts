import { type Kysely, type SelectQueryBuilder, sql } from 'kysely';
import { dialectOf } from '../../storage/sql/dialect.js';
import { TABLES_IN_FOREIGN_KEY_ORDER, type TableKey, type TableName } from '../../storage/sql/table-order.js';
import type { Database } from '../../storage/sql/tables.js';
import { BackupError } from './errors.js';

/** Rows per table, for the tables a database has. */
export type RowCounts = Partial<Record<TableName, number>>;

/**
 * Rows read at a time: at most PAGE_ROWS, and no more than fit in PAGE_BYTES (at least one): a
 * table's rows may be files of many megabytes, small and large mixed, and a page of them is held
 * in memory and written as one statement (PostgreSQL takes at most 1 GB in one message).
 */
const PAGE_ROWS = 256;
const PAGE_BYTES = 8 * 1024 * 1024;

type Row = Record<string, unknown>;
/** The same database, typed loosely: tables are named at run time from the list. */
const loose = (db: Kysely<Database>) => db as unknown as Kysely<Record<string, Row>>;

/** A Keyhold table of a database, with the columns it has. */
type PresentTable = TableKey & { columns: string[] };

/** The Keyhold tables `db` has (an older schema has fewer), in foreign-key order. */
export async function tablesOf(db: Kysely<Database>): Promise<PresentTable[]> {
  const present = new Map((await db.introspection.getTables()).map((t) => [t.name, t.columns]));
  return TABLES_IN_FOREIGN_KEY_ORDER.filter((t) => present.has(t.name)).map((t) => ({
    ...t,
    columns: (present.get(t.name) ?? []).map((c) => c.name),
  }));
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
    let after: unknown[] | undefined;
    for (;;) {
      const limit = await nextPage(source, table, after);
      if (limit === 0) break;
      const rows = await afterKey(loose(source).selectFrom(table.name).selectAll(), table, after)
        .limit(limit)
        .execute();
      if (rows.length === 0) break;
      await loose(target).insertInto(table.name).values(rows).execute();
      count += rows.length;
      const last = rows[rows.length - 1] as Row;
      after = table.key.map((column) => last[column]);
    }
    copied[table.name] = count;
  }
  return copied;
}

/**
 * The rows of `table` after the key `after` (all of them without one), in key order. Keyset
 * paging: each page starts after the previous page's last key, so a page costs the same at the
 * end of a large table (the audit trail) as at its start.
 */
// biome-ignore lint/suspicious/noExplicitAny: a query over a table named at run time
function afterKey<Q extends SelectQueryBuilder<any, any, any>>(
  query: Q,
  table: TableKey,
  after?: unknown[],
): Q {
  let ordered = after ? query.where(sql<boolean>`(${columns(table.key)}) > (${sql.join(after)})`) : query;
  for (const column of table.key) ordered = ordered.orderBy(column);
  return ordered as Q;
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

/**
 * How many rows the next page of `table` after `after` takes: as many as fit in PAGE_BYTES (at
 * least one, at most PAGE_ROWS), from the stored size of each row, read without reading the rows.
 */
async function nextPage(db: Kysely<Database>, table: PresentTable, after?: unknown[]): Promise<number> {
  const size =
    dialectOf(db) === 'postgres'
      ? (column: string) => sql`coalesce(pg_column_size(${sql.ref(column)}), 0)`
      : (column: string) => sql`coalesce(length(${sql.ref(column)}), 0)`;
  const bytes = sql<number | string>`${sql.join(table.columns.map(size), sql` + `)}`;
  const rows = await afterKey(loose(db).selectFrom(table.name).select(bytes.as('bytes')), table, after)
    .limit(PAGE_ROWS)
    .execute();
  let total = 0;
  let fit = 0;
  for (const row of rows) {
    total += Number(row.bytes);
    if (fit > 0 && total > PAGE_BYTES) break;
    fit++;
  }
  return fit;
}

const columns = (key: readonly string[]) => sql.join(key.map((column) => sql.ref(column)));
