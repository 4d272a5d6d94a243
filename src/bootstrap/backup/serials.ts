import { type Kysely, sql } from 'kysely';
import { dialectOf } from '../../storage/sql/dialect.js';
import type { Database } from '../../storage/sql/tables.js';

/**
 * After rows were copied in with their ids, moves every serial sequence of a PostgreSQL database
 * past the largest id its column holds, so the next insert (the next audit event) does not
 * collide with a copied one. Found from the catalog, so a serial column added later is covered.
 * SQLite needs nothing: AUTOINCREMENT keeps its counter past every id inserted.
 */
export async function resetSerials(db: Kysely<Database>): Promise<void> {
  if (dialectOf(db) !== 'postgres') return;
  const { rows } = await sql<{ table_name: string; column_name: string }>`
    select table_name, column_name from information_schema.columns
    where table_schema = current_schema() and column_default like 'nextval(%'`.execute(db);
  for (const { table_name: table, column_name: column } of rows) {
    await sql`select setval(pg_get_serial_sequence(${table}, ${column}),
      coalesce((select max(${sql.ref(column)}) from ${sql.table(table)}), 0) + 1, false)`.execute(db);
  }
}
