import { type Kysely, PostgresIntrospector } from 'kysely';
import { POSTGRES_TYPES } from '../../storage/postgres/open.js';
import type { DialectTypes } from '../../storage/sql/migrations.js';
import type { Database } from '../../storage/sql/tables.js';
import { SQLITE_TYPES } from '../../storage/sqlite/open.js';

/** Whether `db` (or a transaction of it) speaks to PostgreSQL; else it is SQLite. */
export const isPostgres = (db: Kysely<Database>): boolean => db.introspection instanceof PostgresIntrospector;

/** The migrations' type names for `db`'s dialect. */
export const dialectTypes = (db: Kysely<Database>): DialectTypes =>
  isPostgres(db) ? POSTGRES_TYPES : SQLITE_TYPES;
