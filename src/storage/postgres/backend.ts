import type pg from 'pg';
import { ProcessError } from '../../errors/process-error.js';
import { type Backend, type Found, KEY_CHECK } from '../backend.js';
import { DIALECT_TYPES, migrationProvider } from '../sql/migrations.js';
import { ownConnection } from './connection.js';
import { openPostgres, type PostgresOptions } from './open.js';

/** SQLSTATE undefined_column: a `meta` table that is not Keyhold's. */
const UNDEFINED_COLUMN = '42703';

/**
 * A PostgreSQL database shared by any number of central nodes. Nothing is held: every node's
 * writes reach the others through the database and its change feed.
 */
export function postgresBackend(url: string, options: PostgresOptions = {}): Backend {
  return {
    kind: 'postgres',
    location: withoutPassword(url),
    hold: () => ({ release: () => undefined }),
    inspect: () => inspectPostgres(url),
    open: () => openPostgres(url, options),
  };
}

/**
 * The URL with its password (and any query, which may carry one) left out. Everything before the
 * last `@` is taken for user and password, however the rest parses: a password holding a `/`,
 * `?` or `#` the operator did not percent-encode otherwise reads as a host and port followed by
 * a path, and would be shown whole.
 */
export function withoutPassword(url: string): string {
  const scheme = url.indexOf('://');
  const at = url.lastIndexOf('@');
  const userOnly =
    scheme >= 0 && at > scheme
      ? `${url.slice(0, scheme + 3)}${url.slice(scheme + 3, at).split(':')[0]}@${url.slice(at + 1)}`
      : url;
  try {
    const parsed = new URL(userOnly);
    parsed.password = '';
    parsed.search = '';
    parsed.hash = '';
    return parsed.toString();
  } catch {
    return 'postgres://(unparseable URL)';
  }
}

/** The migrator's own bookkeeping tables, made before any migration runs. */
const MIGRATOR_TABLES = new Set(['kysely_migration', 'kysely_migration_lock']);

/**
 * An empty database, or one migrated whose initialisation never committed, holds nothing yet; a
 * connection error is an error, never "nothing" (which would start a second initialisation).
 * A database holding tables of something else is neither: initialising it would mix Keyhold's
 * tables into another application's (or fail half-way on a name both use), so it is refused
 * before anything is written — the way a SQLite file that is not Keyhold's is.
 */
async function inspectPostgres(url: string): Promise<Found> {
  const client = ownConnection(url);
  try {
    await client.connect();
    // Text Keyhold stores (names, emails) may be any Unicode: another encoding refuses some of it
    // at every write that holds it, long after start.
    const encoding = (
      await client.query<{ name: string }>(
        `select pg_encoding_to_char(encoding) as name from pg_database where datname = current_database()`,
      )
    ).rows[0]?.name;
    if (encoding !== undefined && encoding !== 'UTF8')
      throw new ProcessError(
        'invalid_setting',
        `${withoutPassword(url)} is encoded in ${encoding}: Keyhold needs a UTF8 database (create database … encoding 'UTF8' template template0)`,
      );
    // The tables where Keyhold's unqualified `create table` would put its own: from the catalog,
    // which lists them all (information_schema only those this role may use), save what an
    // extension installed.
    const tables = (
      await client.query<{ name: string }>(
        `select c.relname as name from pg_class c join pg_namespace n on n.oid = c.relnamespace
         where n.nspname = current_schema() and c.relkind in ('r', 'p')
           and not exists (select 1 from pg_depend d where d.classid = 'pg_class'::regclass
                           and d.objid = c.oid and d.deptype = 'e')
         order by c.relname`,
      )
    ).rows.map((r) => r.name);
    if (tables.includes('meta')) {
      const result = await client
        .query<{ value: string }>('select value from meta where key = $1', [KEY_CHECK])
        .catch((error: unknown) => {
          // A `meta` of another shape is someone else's table.
          if ((error as { code?: unknown }).code === UNDEFINED_COLUMN) return { rows: [] };
          throw error;
        });
      const row = result.rows[0];
      if (row) return { kind: 'keyhold', keyCheck: row.value };
    }
    const others = tables.filter((t) => !MIGRATOR_TABLES.has(t));
    if (others.length === 0 || (await migratedByKeyhold(client))) return { kind: 'nothing' };
    return {
      kind: 'other',
      why: `${withoutPassword(url)} holds tables that are not Keyhold’s (${others.slice(0, 5).join(', ')}${others.length > 5 ? ', …' : ''}); give Keyhold an empty database of its own`,
    };
  } catch (error) {
    if (error instanceof ProcessError) throw error;
    throw new ProcessError(
      'database_unavailable',
      `cannot read the database at ${withoutPassword(url)}: ${error instanceof Error ? error.message : String(error)}`,
    );
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * Whether the tables there are Keyhold's own: migrations applied, every one of them Keyhold's
 * (another application may use the same migrator), and no key check yet — an initialisation that
 * failed or is under way on another node.
 */
async function migratedByKeyhold(client: pg.Client): Promise<boolean> {
  const present = await client.query<{ present: boolean }>(
    `select to_regclass('kysely_migration') is not null as present`,
  );
  if (!present.rows[0]?.present) return false;
  const applied = (await client.query<{ name: string }>('select name from kysely_migration')).rows;
  const known = await migrationProvider(DIALECT_TYPES.postgres).getMigrations();
  return applied.length > 0 && applied.every((r) => Object.hasOwn(known, r.name));
}
