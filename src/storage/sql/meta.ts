import type { Kysely } from 'kysely';
import type { MetaStore } from '../ports.js';
import type { Database } from './tables.js';

export function metaStore(db: Kysely<Database>): MetaStore {
  return {
    async get(key) {
      const row = await db.selectFrom('meta').select('value').where('key', '=', key).executeTakeFirst();
      return row?.value;
    },
    async insert(key, value) {
      await db.insertInto('meta').values({ key, value }).execute();
    },
    async delete(key) {
      await db.deleteFrom('meta').where('key', '=', key).execute();
    },
  };
}
