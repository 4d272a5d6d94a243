import { type Kysely, Migrator } from 'kysely';
import { type DialectTypes, knownMigrations, migrationProvider } from '../../storage/sql/migrations.js';
import type { Database } from '../../storage/sql/tables.js';
import { BackupError } from './errors.js';

/** Kysely's record of the migrations applied to a database, one row per migration name. */
const MIGRATION_TABLE = 'kysely_migration';

/**
 * A schema version is the name of the last migration applied (`0014_audit_filters`): what a
 * backup reports, and what decides whether this build can restore it.
 */
export type SchemaVersion = string;

/** The migrations applied to `db`, in order; none when it has no migration table. */
export async function appliedMigrations(db: Kysely<Database>): Promise<string[]> {
  // Looked up rather than tried: a failed query would end a PostgreSQL transaction.
  const tables = await db.introspection.getTables({ withInternalKyselyTables: true });
  // A view of that name (a crafted file) is not read: it could run any query.
  if (!tables.some((t) => t.name === MIGRATION_TABLE && !t.isView)) return [];
  const rows = await (db as unknown as Kysely<{ [MIGRATION_TABLE]: { name: string } }>)
    .selectFrom(MIGRATION_TABLE)
    .select('name')
    .execute();
  return rows.map((r) => r.name).sort();
}

/**
 * Whether a database at `applied` can be read by this build: `current` (every migration this
 * build knows), or `older` (a prefix of them: it is migrated once restored). A migration this
 * build does not know means a newer Keyhold wrote it, and is refused; `where` names it.
 */
export async function schemaState(applied: string[], where: string): Promise<'current' | 'older'> {
  const known = await knownMigrations();
  const last = applied.at(-1);
  if (last === undefined)
    throw new BackupError(`${where} is not a Keyhold backup (it has no Keyhold schema)`);
  if (applied.some((name, i) => known[i] !== name)) {
    throw new BackupError(
      `${where} has schema ${last}, which this Keyhold does not know (it knows up to ${known.at(-1)}): it was written by a newer version; restore it with that version or a later one`,
    );
  }
  return applied.length === known.length ? 'current' : 'older';
}

/** Migrates `db` up to `version` exactly (not to the latest). */
export async function migrateTo(
  db: Kysely<Database>,
  types: DialectTypes,
  version: SchemaVersion,
): Promise<void> {
  const { error, results } = await new Migrator({ db, provider: migrationProvider(types) }).migrateTo(
    version,
  );
  if (error) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
    throw new Error(
      `database migration ${failed} failed: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
}
