import type BetterSqlite3 from 'better-sqlite3';
import type { CompiledQuery, DatabaseConnection, QueryResult } from 'kysely';

const MAX_STATEMENTS = 500;

/**
 * Statements after which a cached query may return other columns (`select *`): schema changes,
 * and rollbacks, which may undo one. Both are rare on this connection (start-up migrations, a
 * failed write).
 */
const SCHEMA_CHANGE = /^\s*(create|alter|drop|rollback)\b/i;

interface Prepared {
  statement: BetterSqlite3.Statement;
  /** A reader's result column names, read once: its rows come back as arrays (raw mode). */
  columns: string[] | undefined;
}

/**
 * The one better-sqlite3 connection, with prepared statements kept by SQL text.
 *
 * Kysely prepares every query anew; preparing costs about as much as running a small query. The
 * queries are parameterised, so their SQL text repeats: keep prepared statements by SQL text
 * (bounded, oldest dropped first).
 *
 * Readers run in raw mode and their rows are keyed here, by column names read once per
 * statement: better-sqlite3 makes every key of every row anew from SQLite's column name, about a
 * fifth of the cost of reading an item. The cache starts over after a schema change, so the
 * names of a statement SQLite re-prepares for the new schema are read again.
 */
export class BetterSqliteConnection implements DatabaseConnection {
  readonly #database: BetterSqlite3.Database;
  readonly #statements = new Map<string, Prepared>();

  constructor(database: BetterSqlite3.Database) {
    this.#database = database;
  }

  executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    return Promise.resolve(this.run<R>(query));
  }

  /** Runs the query now: better-sqlite3 is synchronous. */
  run<R>({ sql, parameters }: CompiledQuery): QueryResult<R> {
    const { statement, columns } = this.#prepare(sql);
    if (columns) {
      const rows = (statement.all(parameters) as unknown[][]).map((values) => keyed<R>(columns, values));
      return { rows };
    }
    const { changes, lastInsertRowid } = statement.run(parameters);
    if (SCHEMA_CHANGE.test(sql)) this.#statements.clear();
    return { numAffectedRows: BigInt(changes), insertId: BigInt(lastInsertRowid), rows: [] };
  }

  async *streamQuery<R>({ sql, parameters }: CompiledQuery): AsyncIterableIterator<QueryResult<R>> {
    const { statement, columns } = this.#prepare(sql);
    if (!columns) throw new Error('only queries that return rows can be streamed');
    for (const values of statement.iterate(parameters))
      yield { rows: [keyed<R>(columns, values as unknown[])] };
  }

  #prepare(sql: string): Prepared {
    let prepared = this.#statements.get(sql);
    if (!prepared) {
      const statement = this.#database.prepare(sql);
      const columns = statement.reader
        ? statement
            .raw(true)
            .columns()
            .map((c) => c.name)
        : undefined;
      prepared = { statement, columns };
      if (this.#statements.size >= MAX_STATEMENTS) {
        this.#statements.delete(this.#statements.keys().next().value as string);
      }
      this.#statements.set(sql, prepared);
    }
    return prepared;
  }
}

/** A row as Kysely expects it; a later column of the same name wins, as in better-sqlite3. */
function keyed<R>(columns: readonly string[], values: readonly unknown[]): R {
  const row: Record<string, unknown> = {};
  for (let i = 0; i < columns.length; i++) row[columns[i] as string] = values[i];
  return row as R;
}
