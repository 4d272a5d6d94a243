import type { Kysely } from 'kysely';
import type { AdminTokenRole } from '../../domain/access/roles.js';
import type { AdminTokenRecord, AdminTokenStore } from '../ports.js';
import { byteOrder, dialectOf } from './dialect.js';
import type { Database } from './tables.js';

export function adminTokenStore(db: Kysely<Database>): AdminTokenStore {
  const dialect = dialectOf(db);
  const toRecord = (r: Database['admin_tokens']): AdminTokenRecord => ({
    id: r.id,
    accountId: r.account_id,
    name: r.name,
    tokenHash: r.token_hash,
    role: r.role as AdminTokenRole,
    createdAt: r.created_at,
    expiresAt: r.expires_at,
    revokedAt: r.revoked_at,
    createdBy: r.created_by,
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
          role: t.role,
          created_at: t.createdAt,
          expires_at: t.expiresAt,
          revoked_at: t.revokedAt,
          created_by: t.createdBy,
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
    async get(accountId, id) {
      const row = await db
        .selectFrom('admin_tokens')
        .selectAll()
        .where('account_id', '=', accountId)
        .where('id', '=', id)
        .executeTakeFirst();
      return row && toRecord(row);
    },
    async list(accountId) {
      const rows = await db
        .selectFrom('admin_tokens')
        .selectAll()
        .where('account_id', '=', accountId)
        .orderBy('created_at')
        .orderBy(byteOrder(dialect, 'id'))
        .execute();
      return rows.map(toRecord);
    },
    async revoke(accountId, id, at) {
      // `revoked_at is null` in the same statement: of two revocations at once, one updates.
      const result = await db
        .updateTable('admin_tokens')
        .set({ revoked_at: at })
        .where('account_id', '=', accountId)
        .where('id', '=', id)
        .where('revoked_at', 'is', null)
        .executeTakeFirst();
      return result.numUpdatedRows > 0n;
    },
  };
}
