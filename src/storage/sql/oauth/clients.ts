import type { Kysely } from 'kysely';
import type { ClientAuthMethod, ClientRecord, ClientStore, GrantType } from '../../ports/oauth.js';
import { byteOrder, dialectOf, held } from '../dialect.js';
import type { Database } from '../tables.js';

export function clientStore(db: Kysely<Database>): ClientStore {
  const dialect = dialectOf(db);
  const toRecord = (r: Database['oauth_clients']): ClientRecord => ({
    id: r.id,
    accountId: r.account_id,
    name: r.name,
    authMethod: r.auth_method as ClientAuthMethod,
    secretHash: r.secret_hash,
    jwks: r.jwks,
    redirectUris: JSON.parse(r.redirect_uris) as string[],
    grantTypes: JSON.parse(r.grant_types) as GrantType[],
    scopes: JSON.parse(r.scopes) as string[],
    createdAt: r.created_at,
    dpopBoundAccessTokens: r.dpop_bound_access_tokens === 1,
    requirePushedRequests: r.require_pushed_authorization_requests === 1,
    fapi2SecurityProfile: r.fapi2_security_profile === 1,
  });
  return {
    async insert(c) {
      await db
        .insertInto('oauth_clients')
        .values({
          id: c.id,
          account_id: c.accountId,
          name: c.name,
          auth_method: c.authMethod,
          secret_hash: c.secretHash,
          jwks: c.jwks,
          redirect_uris: JSON.stringify(c.redirectUris),
          grant_types: JSON.stringify(c.grantTypes),
          scopes: JSON.stringify(c.scopes),
          created_at: c.createdAt,
          dpop_bound_access_tokens: c.dpopBoundAccessTokens ? 1 : 0,
          require_pushed_authorization_requests: c.requirePushedRequests ? 1 : 0,
          fapi2_security_profile: c.fapi2SecurityProfile ? 1 : 0,
        })
        .execute();
    },
    async findById(id) {
      const row = await db.selectFrom('oauth_clients').selectAll().where('id', '=', id).executeTakeFirst();
      return row && toRecord(row);
    },
    async get(accountId, id, hold) {
      const row = await held(dialect, db.selectFrom('oauth_clients').selectAll(), hold)
        .where('account_id', '=', accountId)
        .where('id', '=', id)
        .executeTakeFirst();
      return row && toRecord(row);
    },
    async replaceSettings(c) {
      const result = await db
        .updateTable('oauth_clients')
        .set({
          name: c.name,
          jwks: c.jwks,
          redirect_uris: JSON.stringify(c.redirectUris),
          grant_types: JSON.stringify(c.grantTypes),
          scopes: JSON.stringify(c.scopes),
          dpop_bound_access_tokens: c.dpopBoundAccessTokens ? 1 : 0,
          require_pushed_authorization_requests: c.requirePushedRequests ? 1 : 0,
          fapi2_security_profile: c.fapi2SecurityProfile ? 1 : 0,
        })
        .where('account_id', '=', c.accountId)
        .where('id', '=', c.id)
        .executeTakeFirst();
      return result.numUpdatedRows > 0n;
    },
    async list(accountId) {
      const rows = await db
        .selectFrom('oauth_clients')
        .selectAll()
        .where('account_id', '=', accountId)
        .orderBy('created_at')
        .orderBy(byteOrder(dialect, 'id'))
        .execute();
      return rows.map(toRecord);
    },
    async replaceSecret(accountId, id, secretHash) {
      const result = await db
        .updateTable('oauth_clients')
        .set({ secret_hash: secretHash })
        .where('account_id', '=', accountId)
        .where('id', '=', id)
        .executeTakeFirst();
      return result.numUpdatedRows > 0n;
    },
    async delete(accountId, id) {
      const result = await db
        .deleteFrom('oauth_clients')
        .where('account_id', '=', accountId)
        .where('id', '=', id)
        .executeTakeFirst();
      return result.numDeletedRows > 0n;
    },
  };
}
