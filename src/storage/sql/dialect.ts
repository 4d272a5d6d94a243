import {
  type Kysely,
  PostgresAdapter,
  type RawBuilder,
  type SelectQueryBuilder,
  SqliteAdapter,
  sql,
} from 'kysely';
import type { RowHold } from '../ports.js';
import { DIALECT_TYPES, type DialectTypes } from './migrations/dialect-types.js';

/**
 * What the stores write differently per SQL dialect when they run (the schema's few type names
 * differ at migration time: DialectTypes). Read from the Kysely instance's adapter, so the stores
 * of a transaction know it as the stores of the database do, and no opener can forget to say.
 */
export type SqlDialect = 'sqlite' | 'postgres';

// biome-ignore lint/suspicious/noExplicitAny: any database schema
export function dialectOf(db: Kysely<any>): SqlDialect {
  const adapter = db.getExecutor().adapter;
  if (adapter instanceof PostgresAdapter) return 'postgres';
  if (adapter instanceof SqliteAdapter) return 'sqlite';
  throw new Error(`storage: unsupported SQL dialect (${adapter.constructor.name})`);
}

/** The migrations' type names for `db`'s dialect. */
// biome-ignore lint/suspicious/noExplicitAny: any database schema
export const migrationTypes = (db: Kysely<any>): DialectTypes => DIALECT_TYPES[dialectOf(db)];

/**
 * A read that holds its rows until the transaction ends (RowHold, ports.ts). PostgreSQL:
 * `FOR SHARE`, or `FOR NO KEY UPDATE` for `update` (what an UPDATE of columns other than the key
 * takes: it lets rows that refer to the held one be inserted meanwhile, whose foreign-key check
 * takes a key-share lock, so holding a user never stalls the sign-ins of that user). SQLite has
 * no such clause and needs none: a transaction holds the database's one write lock from its
 * `begin immediate` to its end (storage/sqlite/driver.ts), so transactions take turns already.
 */
export function held<DB, TB extends keyof DB, O>(
  dialect: SqlDialect,
  query: SelectQueryBuilder<DB, TB, O>,
  hold: RowHold | undefined,
): SelectQueryBuilder<DB, TB, O> {
  if (hold === undefined || dialect === 'sqlite') return query;
  return hold === 'update' ? query.forNoKeyUpdate() : query.forShare();
}

/**
 * A text column to order by, in byte order (of UTF-8, so of code points) on every backend: what
 * SQLite's default BINARY collation does. PostgreSQL orders text by the database's collation,
 * which on a production cluster is a language's (`en_US.UTF-8`: case folded, punctuation weighed
 * apart), so the same rows would come back in another order per backend and per cluster;
 * `COLLATE "C"` is byte order on every cluster. Every ORDER BY of the stores on free text or ids
 * goes through here. Times need not, and keep the order their indexes serve (the audit trail's
 * pruning walks one): they are ISO 8601 strings of one length and shape, whose digits every
 * collation compares as bytes do. Comparisons need nothing: equality is exact under any
 * deterministic collation, and `<` on times is as above.
 */
export function byteOrder(dialect: SqlDialect, column: string): RawBuilder<string> {
  return dialect === 'postgres'
    ? sql<string>`${sql.ref(column)} collate "C"`
    : sql<string>`${sql.ref(column)}`;
}
