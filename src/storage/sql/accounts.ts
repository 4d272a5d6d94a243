import type { Kysely } from 'kysely';
import type { AccountRecord, AccountStore } from '../ports.js';
import { byteOrder, dialectOf, held } from './dialect.js';
import type { Database } from './tables.js';

export function accountStore(db: Kysely<Database>): AccountStore {
  const dialect = dialectOf(db);
  const toRecord = (r: Database['accounts']): AccountRecord => ({
    id: r.id,
    name: r.name,
    createdAt: r.created_at,
    operator: r.operator === 1,
  });
  return {
    async insert(a) {
      await db
        .insertInto('accounts')
        .values({ id: a.id, name: a.name, created_at: a.createdAt, operator: a.operator ? 1 : 0 })
        .execute();
    },
    async get(id) {
      const row = await db.selectFrom('accounts').selectAll().where('id', '=', id).executeTakeFirst();
      return row && toRecord(row);
    },
    async lock(id) {
      const row = await held(
        dialect,
        db.selectFrom('accounts').select('id').where('id', '=', id),
        'update',
      ).executeTakeFirst();
      return row !== undefined;
    },
    async list() {
      const rows = await db
        .selectFrom('accounts')
        .selectAll()
        .orderBy('created_at')
        .orderBy(byteOrder(dialect, 'id'))
        .execute();
      return rows.map(toRecord);
    },
    async delete(id) {
      const result = await db.deleteFrom('accounts').where('id', '=', id).executeTakeFirst();
      return result.numDeletedRows > 0n;
    },
  };
}
