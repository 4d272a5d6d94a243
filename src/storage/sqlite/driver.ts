import type BetterSqlite3 from 'better-sqlite3';
import {
  CompiledQuery,
  createQueryId,
  type DatabaseConnection,
  type Dialect,
  type Driver,
  IdentifierNode,
  type QueryCompiler,
  type QueryResult,
  RawNode,
  SqliteAdapter,
  SqliteIntrospector,
  SqliteQueryCompiler,
} from 'kysely';
import type { RunHeld, RunIfFree } from '../sql/precompiled.js';
import { BetterSqliteConnection } from './connection.js';

/**
 * A Kysely driver for the single better-sqlite3 connection, in place of Kysely's SqliteDriver.
 *
 * The connection is handed to one holder at a time (a transaction holds it across awaits), and
 * the next holder is picked first in, first out: each waiter has its own resolver, and release
 * wakes only that one. Kysely's mutex woke every waiter on each release to let one win, so under
 * many concurrent requests each query paid for waking all the others.
 *
 * Transactions begin IMMEDIATE (Kysely sends a plain `begin`): with the audit writer thread as a
 * second writer, a deferred transaction that read before it wrote could find its snapshot stale
 * at its first write and fail with SQLITE_BUSY, which no busy timeout retries. Taking the write
 * lock at `begin` waits (busy_timeout) instead.
 */
class BetterSqliteDriver implements Driver {
  readonly #database: BetterSqlite3.Database;
  readonly #connection: BetterSqliteConnection;
  /** The connection, ready: what a caller gets when nobody holds it. */
  readonly #free: Promise<BetterSqliteConnection>;
  readonly #waiting: ((connection: BetterSqliteConnection) => void)[] = [];
  #held = false;

  constructor(database: BetterSqlite3.Database) {
    this.#database = database;
    this.#connection = new BetterSqliteConnection(database);
    this.#free = Promise.resolve(this.#connection);
  }

  async init(): Promise<void> {}

  acquireConnection(): Promise<DatabaseConnection> {
    if (!this.#held) {
      this.#held = true;
      return this.#free;
    }
    return new Promise((resolve) => this.#waiting.push(resolve));
  }

  /**
   * Runs `query` at once when nobody holds the connection, or answers undefined (the caller then
   * goes through Kysely and waits its turn). A synchronous statement between two holders is what
   * acquire, run, release would have done, minus Kysely's chain of promises around it.
   */
  runIfFree(query: CompiledQuery): QueryResult<unknown> | undefined {
    return this.#held ? undefined : this.#connection.run(query);
  }

  /**
   * Runs `query` at once on the connection, for the one who holds it (a group-commit batch,
   * group-commit.ts): its statements are its own, in its own order, so Kysely's chain of promises
   * around each adds nothing but cost.
   */
  runHeld(query: CompiledQuery): QueryResult<unknown> {
    if (!this.#held) throw new Error('runHeld: the connection is not held');
    return this.#connection.run(query);
  }

  async releaseConnection(): Promise<void> {
    const next = this.#waiting.shift();
    // Handed straight to the next waiter: the connection stays held, nobody can slip in between.
    if (next) next(this.#connection);
    else this.#held = false;
  }

  async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('begin immediate'));
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('commit'));
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('rollback'));
  }

  savepoint(connection: DatabaseConnection, name: string, compile: QueryCompiler['compileQuery']) {
    return savepointCommand(connection, 'savepoint', name, compile);
  }

  rollbackToSavepoint(connection: DatabaseConnection, name: string, compile: QueryCompiler['compileQuery']) {
    return savepointCommand(connection, 'rollback to', name, compile);
  }

  releaseSavepoint(connection: DatabaseConnection, name: string, compile: QueryCompiler['compileQuery']) {
    return savepointCommand(connection, 'release', name, compile);
  }

  async destroy(): Promise<void> {
    this.#database.close();
  }
}

/** The name goes through the compiler as an identifier, so it is quoted, never spliced in. */
async function savepointCommand(
  connection: DatabaseConnection,
  command: string,
  name: string,
  compile: QueryCompiler['compileQuery'],
): Promise<void> {
  const node = RawNode.createWithChildren([
    RawNode.createWithSql(`${command} `),
    IdentifierNode.create(name),
  ]);
  await connection.executeQuery(compile(node, createQueryId()));
}

/**
 * Kysely's SQLite dialect (SQL, adapter, introspection) over the driver above, the driver's
 * `runIfFree` for the queries every secret read runs (precompiled.ts), and its `runHeld` for the
 * statements of whoever holds the connection (group-commit.ts).
 */
export function betterSqliteDialect(database: BetterSqlite3.Database): {
  dialect: Dialect;
  runIfFree: RunIfFree;
  runHeld: RunHeld;
} {
  const driver = new BetterSqliteDriver(database);
  return {
    dialect: {
      createDriver: () => driver,
      createQueryCompiler: () => new SqliteQueryCompiler(),
      createAdapter: () => new SqliteAdapter(),
      createIntrospector: (db) => new SqliteIntrospector(db),
    },
    runIfFree: (query) => driver.runIfFree(query),
    runHeld: (query) => driver.runHeld(query),
  };
}
