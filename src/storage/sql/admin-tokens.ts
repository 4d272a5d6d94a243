import type { Kysely } from 'kysely';
import type { AdminTokenRecord, AdminTokenStore } from '../ports.js';
import type { Database } from './tables.js';

export function adminTokenStore(db: Kysely<Database>): AdminTokenStore {
  const toRecord = (r: Database['admin_tokens']): AdminTokenRecord => ({
    id: r.id,
    accountId: r.account_id,
    name: r.name,
    tokenHash: r.token_hash,
    operator: r.operator === 1,
    createdAt: r.created_at,
  });
  return {
    async insert(t) {
      await db
        .insertInto('admin_tokens')
        .values({
          id: t.id,
          account_id: t.accountId,
          name: t.name,
          token_hash: t.tokenHash,
          operator: t.operator ? 1 : 0,
          created_at: t.createdAt,
        })
        .execute();
    },
    async findByHash(tokenHash) {
      const row = await db
        .selectFrom('admin_tokens')
        .selectAll()
        .where('token_hash', '=', tokenHash)
        .executeTakeFirst();
      return row && toRecord(row);
    },
    async list(accountId) {
      const rows = await db
        .selectFrom('admin_tokens')
        .selectAll()
        .where('account_id', '=', accountId)
        .orderBy('created_at')
        .execute();
      return rows.map(toRecord);
    },
    async delete(accountId, id) {
      const result = await db
        .deleteFrom('admin_tokens')
        .where('account_id', '=', accountId)
        .where('id', '=', id)
        .executeTakeFirst();
      return result.numDeletedRows > 0n;
    },
  };
}
