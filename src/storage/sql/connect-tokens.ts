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
    ...(r.oauth_grant_id === null ? {} : { oauthGrantId: r.oauth_grant_id }),
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
          oauth_grant_id: t.oauthGrantId ?? null,
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
    async exchangedUnder(link, now) {
      let query = db
        .selectFrom('connect_tokens')
        .select('id')
        .where('account_id', '=', link.accountId)
        .where('revoked_at', 'is', null)
        .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now)]));
      if ('grantId' in link) {
        query = query.where('oauth_grant_id', '=', link.grantId);
      } else {
        const grants = db
          .selectFrom('oauth_grants')
          .select('id')
          .where('account_id', '=', link.accountId)
          .where(
            'userId' in link ? 'user_id' : 'client_id',
            '=',
            'userId' in link ? link.userId : link.clientId,
          );
        query = query.where('oauth_grant_id', 'in', grants);
      }
      const rows = await query.orderBy('id').execute();
      return rows.map((r) => r.id);
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
    async purgeExchanged(before) {
      const result = await db
        .deleteFrom('connect_tokens')
        .where('oauth_grant_id', 'is not', null)
        .where('expires_at', '<', before)
        .executeTakeFirst();
      return Number(result.numDeletedRows);
    },
  };
}
