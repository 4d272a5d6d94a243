import type { Kysely } from 'kysely';
import type { ConnectGrant, ConnectTokenRecord, ConnectTokenStore } from '../ports.js';
import type { Database } from './tables.js';

export function connectTokenStore(db: Kysely<Database>): ConnectTokenStore {
  const toRecord = (r: Database['connect_tokens']): ConnectTokenRecord => ({
    id: r.id,
    accountId: r.account_id,
    serverId: r.server_id,
    name: r.name,
    grants: JSON.parse(r.grants) as ConnectGrant[],
    signatureHash: r.signature_hash,
    createdAt: r.created_at,
    expiresAt: r.expires_at,
    revokedAt: r.revoked_at,
  });
  return {
    async insert(t) {
      await db
        .insertInto('connect_tokens')
        .values({
          id: t.id,
          account_id: t.accountId,
          server_id: t.serverId,
          name: t.name,
          grants: JSON.stringify(t.grants),
          signature_hash: t.signatureHash,
          created_at: t.createdAt,
          expires_at: t.expiresAt,
          revoked_at: t.revokedAt,
        })
        .execute();
    },
    async get(id) {
      const row = await db.selectFrom('connect_tokens').selectAll().where('id', '=', id).executeTakeFirst();
      return row && toRecord(row);
    },
    async list(serverId) {
      const rows = await db
        .selectFrom('connect_tokens')
        .selectAll()
        .where('server_id', '=', serverId)
        .orderBy('created_at')
        .execute();
      return rows.map(toRecord);
    },
    async revoke(accountId, id, at) {
      const result = await db
        .updateTable('connect_tokens')
        .set({ revoked_at: at })
        .where('account_id', '=', accountId)
        .where('id', '=', id)
        .where('revoked_at', 'is', null)
        .executeTakeFirst();
      return result.numUpdatedRows > 0n;
    },
  };
}
