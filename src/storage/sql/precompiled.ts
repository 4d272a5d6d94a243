import type { Compilable, CompiledQuery, Kysely, QueryResult } from 'kysely';
import type { Database } from './tables.js';

const MARKER = '\u0000keyhold-parameter:';

/**
 * A dialect's way to run a query synchronously when its connection is free right now (undefined
 * when it is not, or for a dialect that cannot). Kysely's executor wraps every query in a chain
 * of some ten promises (acquire, run, transform, release), even around a driver that runs the
 * statement synchronously; the embedded SQLite driver can skip that chain whenever no
 * transaction holds the connection. On a GET item, skipping it took 8–17 µs off the serving
 * thread's CPU per request.
 */
export type RunIfFree = (query: CompiledQuery) => QueryResult<unknown> | undefined;

/**
 * Runs a query at once on a connection its caller holds (a group-commit batch on SQLite). Passed
 * where a `RunIfFree` goes, for the stores of that holder only: it always answers.
 */
export type RunHeld = (query: CompiledQuery) => QueryResult<unknown>;

type Slot<N extends string> = { name: N } | { constant: unknown };
interface Compiled<N extends string, O> {
  query: CompiledQuery<O>;
  slots: Slot<N>[];
}

/**
 * Queries compiled under a name, shared by every set of stores over the same database: a
 * group-commit batch makes its stores anew over its own transaction (sqlite/group-commit.ts), and
 * compiling its half-dozen statements again for every batch cost about as much as running them.
 * Keyed by the dialect's adapter, which a database and all its transactions share, so a process
 * with two kinds of database (the tests) never mixes their SQL. Keyhold uses no Kysely plugin: one
 * that rewrote queries for some instances of a database only would need a key of its own.
 */
const sharedCompiled = new WeakMap<object, Map<string, Compiled<string, unknown>>>();
const sharedOf = (db: Kysely<Database>) => {
  const adapter = db.getExecutor().adapter;
  let shared = sharedCompiled.get(adapter);
  if (!shared) {
    shared = new Map();
    sharedCompiled.set(adapter, shared);
  }
  return shared;
};

/**
 * A query built and compiled once, then run with fresh parameter values. Building and compiling a
 * Kysely query costs about twice what running it on SQLite does (~20 µs against ~10 µs), which
 * matters on the queries every secret read runs. The query is built once with a marker value in
 * place of each named parameter; each run swaps the markers in the compiled parameter list for
 * the values given. The SQL text is identical on every run, so drivers reuse their prepared
 * statement. Compiled on first use: the stores of a transaction are made per transaction; with
 * `shareAs` (a name no other query uses) compiled once for every set of stores of the database.
 * With `runIfFree` (only for `db` itself, never a transaction's), it runs without Kysely's
 * executor whenever the connection is free; with a `RunHeld` (only for the stores of whoever holds
 * the connection), always.
 */
export function precompiled<N extends string, O>(
  db: Kysely<Database>,
  build: (parameter: (name: N) => never) => Compilable<O>,
  runIfFree?: RunIfFree,
  shareAs?: string,
) {
  let compiled: CompiledQuery<O> | undefined;
  /** Per compiled parameter: the name whose value goes there, or the constant the query holds. */
  let slots: Slot<N>[] = [];

  const compile = (): CompiledQuery<O> => {
    const shared = shareAs === undefined ? undefined : sharedOf(db);
    const known = shared?.get(shareAs as string) as Compiled<N, O> | undefined;
    if (known) {
      slots = known.slots;
      compiled = known.query;
      return known.query;
    }
    const query = build((name) => `${MARKER}${name}` as never).compile();
    slots = query.parameters.map((p) =>
      typeof p === 'string' && p.startsWith(MARKER) ? { name: p.slice(MARKER.length) as N } : { constant: p },
    );
    compiled = query;
    shared?.set(shareAs as string, { query, slots } as Compiled<string, unknown>);
    return query;
  };

  const rows = async (values: Readonly<Record<N, unknown>>): Promise<O[]> => {
    const query = compiled ?? compile();
    const parameters = slots.map((s) => ('name' in s ? values[s.name] : s.constant));
    const withValues: CompiledQuery<O> = { ...query, parameters };
    const now = runIfFree?.(withValues);
    return now ? (now.rows as O[]) : (await db.executeQuery(withValues)).rows;
  };

  return {
    rows,
    first: async (values: Readonly<Record<N, unknown>>): Promise<O | undefined> => (await rows(values))[0],
  };
}

/**
 * An INSERT of one row into `table`, compiled once: the row's keys are its parameters. For the
 * inserts every token issuance and audited write runs.
 */
export function precompiledInsert<T extends keyof Database & string, C extends keyof Database[T] & string>(
  db: Kysely<Database>,
  table: T,
  columns: readonly C[],
  runIfFree?: RunIfFree,
): (row: Readonly<Record<C, unknown>>) => Promise<void> {
  const query = precompiled<C, unknown>(
    db,
    (p) => db.insertInto(table).values(Object.fromEntries(columns.map((c) => [c, p(c)])) as never),
    runIfFree,
    `insert into ${table} (${columns.join(', ')})`,
  );
  return async (row) => {
    await query.rows(row);
  };
}
