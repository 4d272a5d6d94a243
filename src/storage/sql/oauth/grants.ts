import type { Kysely } from 'kysely';
import type { GrantRecord, GrantStore } from '../../ports/oauth.js';
import { byteOrder, dialectOf, held } from '../dialect.js';
import type { Database } from '../tables.js';
import { detailsColumn, detailsOf } from './authorization-details.js';

export function grantStore(db: Kysely<Database>): GrantStore {
  const dialect = dialectOf(db);
  const toRecord = (r: Database['oauth_grants']): GrantRecord => ({
    id: r.id,
    accountId: r.account_id,
    userId: r.user_id,
    clientId: r.client_id,
    resource: r.resource,
    scopes: JSON.parse(r.scopes) as string[],
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    ...detailsOf(r.authorization_details),
  });
  const select = () => db.selectFrom('oauth_grants').selectAll();
  return {
    async insert(g) {
      await db
        .insertInto('oauth_grants')
        .values({
          id: g.id,
          account_id: g.accountId,
          user_id: g.userId,
          client_id: g.clientId,
          resource: g.resource,
          scopes: JSON.stringify(g.scopes),
          created_at: g.createdAt,
          updated_at: g.updatedAt,
          authorization_details: detailsColumn(g.authorizationDetails),
        })
        .execute();
    },
    async get(accountId, id, hold) {
      const row = await held(dialect, select(), hold)
        .where('account_id', '=', accountId)
        .where('id', '=', id)
        .executeTakeFirst();
      return row && toRecord(row);
    },
    async find(userId, clientId, resource) {
      const row = await select()
        .where('user_id', '=', userId)
        .where('client_id', '=', clientId)
        .where('resource', '=', resource)
        .executeTakeFirst();
      return row && toRecord(row);
    },
    async updateScopes(id, scopes, updatedAt) {
      await db
        .updateTable('oauth_grants')
        .set({ scopes: JSON.stringify(scopes), updated_at: updatedAt })
        .where('id', '=', id)
        .execute();
    },
    async updateAuthorizationDetails(id, details) {
      await db
        .updateTable('oauth_grants')
        .set({ authorization_details: detailsColumn(details ?? undefined) })
        .where('id', '=', id)
        .execute();
    },
    async listForUser(accountId, userId) {
      const rows = await select()
        .where('account_id', '=', accountId)
        .where('user_id', '=', userId)
        .orderBy('created_at')
        .orderBy(byteOrder(dialect, 'id'))
        .execute();
      return rows.map(toRecord);
    },
    async listForAccount(accountId) {
      const rows = await select()
        .where('account_id', '=', accountId)
        .orderBy('created_at')
        .orderBy(byteOrder(dialect, 'id'))
        .execute();
      return rows.map(toRecord);
    },
    async delete(accountId, id) {
      const result = await db
        .deleteFrom('oauth_grants')
        .where('account_id', '=', accountId)
        .where('id', '=', id)
        .executeTakeFirst();
      return result.numDeletedRows > 0n;
    },
    async deleteForUser(accountId, userId) {
      const result = await db
        .deleteFrom('oauth_grants')
        .where('account_id', '=', accountId)
        .where('user_id', '=', userId)
        .executeTakeFirst();
      return Number(result.numDeletedRows);
    },
  };
}
