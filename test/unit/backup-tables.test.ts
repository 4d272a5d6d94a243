import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { NODE_STATE_TABLES, TABLES_IN_FOREIGN_KEY_ORDER } from '../../src/storage/sql/table-order.js';
import { openSqlite } from '../../src/storage/sqlite/open.js';

const dir = mkdtempSync(join(tmpdir(), 'keyhold-tables-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The migrated schema as SQLite describes it: each table's primary key and referenced tables. */
async function migratedSchema() {
  const file = join(dir, 'schema.db');
  await (await openSqlite(file)).close();
  const db = new BetterSqlite3(file, { readonly: true });
  try {
    const names = (
      db.prepare("select name from sqlite_master where type = 'table' order by name").all() as {
        name: string;
      }[]
    )
      .map((t) => t.name)
      .filter((name) => !name.startsWith('sqlite_') && !name.startsWith('kysely_'));
    return names.map((name) => ({
      name,
      key: (db.pragma(`table_info(${name})`) as { name: string; pk: number }[])
        .filter((c) => c.pk > 0)
        .sort((a, b) => a.pk - b.pk)
        .map((c) => c.name),
      references: (db.pragma(`foreign_key_list(${name})`) as { table: string }[]).map((f) => f.table),
    }));
  } finally {
    db.close();
  }
}

describe('the tables a backup copies', () => {
  it('are every table the migrations make, each with its primary key, each after the tables it references', async () => {
    const schema = await migratedSchema();
    const listed = TABLES_IN_FOREIGN_KEY_ORDER.map((t) => t.name as string);
    expect([...listed, ...NODE_STATE_TABLES].sort()).toEqual(schema.map((t) => t.name));
    for (const table of schema.filter((t) => listed.includes(t.name))) {
      const position = listed.indexOf(table.name);
      expect(TABLES_IN_FOREIGN_KEY_ORDER[position]?.key, table.name).toEqual(table.key);
      for (const parent of table.references)
        expect(listed.indexOf(parent), `${table.name} references ${parent}`).toBeLessThan(position);
    }
  });
});
