import BetterSqlite3 from 'better-sqlite3';
import { Kysely } from 'kysely';
import { DIALECT_TYPES } from '../../storage/sql/migrations.js';
import type { Database } from '../../storage/sql/tables.js';
import { betterSqliteDialect } from '../../storage/sqlite/driver.js';
import { BackupError } from './errors.js';
import { migrateTo, type SchemaVersion } from './schema-version.js';

interface SchemaObject {
  type: string;
  name: string;
  tbl_name: string;
  sql: string | null;
}

/** Every table, index, view and trigger of a SQLite database, as SQLite keeps them. */
function objectsOf(raw: BetterSqlite3.Database): Map<string, SchemaObject> {
  const rows = raw
    .prepare('select type, name, tbl_name, sql from sqlite_master order by name')
    .all() as SchemaObject[];
  return new Map(rows.map((row) => [`${row.type} ${row.name}`, row]));
}

/** The schema Keyhold's migrations make up to `version`, in a database in memory. */
async function keyholdSchema(version: SchemaVersion): Promise<Map<string, SchemaObject>> {
  const raw = new BetterSqlite3(':memory:');
  const db = new Kysely<Database>({ dialect: betterSqliteDialect(raw).dialect });
  try {
    await migrateTo(db, DIALECT_TYPES.sqlite, version);
    return objectsOf(raw);
  } finally {
    await db.destroy();
  }
}

/**
 * What differs between the schema of a SQLite database and the one Keyhold's migrations make at
 * `version` (none: exactly Keyhold's): an extra trigger, view, table or index, or a Keyhold table
 * or index defined otherwise (another column, a constraint more or less). Said for a message.
 */
export async function schemaProblems(raw: BetterSqlite3.Database, version: SchemaVersion): Promise<string> {
  const expected = await keyholdSchema(version);
  const found = objectsOf(raw);
  const problems: string[] = [];
  for (const [key, object] of found) {
    const keyhold = expected.get(key);
    if (!keyhold) problems.push(`an extra ${object.type} ${object.name}`);
    else if (keyhold.sql !== object.sql || keyhold.tbl_name !== object.tbl_name)
      problems.push(`${object.type} ${object.name} is not defined as Keyhold defines it`);
  }
  for (const [key, object] of expected)
    if (!found.has(key)) problems.push(`no ${object.type} ${object.name}`);
  return problems.length === 0 ? '' : `${problems.slice(0, 3).join('; ')}${problems.length > 3 ? '; …' : ''}`;
}

/**
 * Refuses a backup whose schema is not exactly the one Keyhold's migrations make at `version`
 * (schemaProblems). A SQLite restore puts the file itself in place, so anything extra would live
 * on in the restored database and run inside the service (a trigger fires on its writes); a
 * PostgreSQL restore would copy rows shaped by it. `where` names the file.
 */
export async function expectKeyholdSchema(
  raw: BetterSqlite3.Database,
  version: SchemaVersion,
  where: string,
): Promise<void> {
  const problems = await schemaProblems(raw, version);
  if (problems)
    throw new BackupError(
      `${where} has a schema that is not Keyhold's ${version}: ${problems}; it was altered: nothing in it can be trusted; use another backup`,
    );
}

/**
 * Refuses a backup holding a row whose foreign key leads nowhere (SQLite's integrity check does
 * not look at foreign keys; the service enforces them on every write, so a genuine backup has none).
 */
export function expectReferencesHold(raw: BetterSqlite3.Database, where: string): void {
  const broken = raw.prepare('pragma foreign_key_check').all() as { table: string; parent: string }[];
  if (broken.length === 0) return;
  const pairs = [...new Set(broken.map((b) => `${b.table} → ${b.parent}`))];
  throw new BackupError(
    `${where} holds rows whose references lead nowhere (${pairs.slice(0, 3).join(', ')}${pairs.length > 3 ? ', …' : ''}); it was altered or is damaged: nothing in it can be trusted; use another backup`,
  );
}
