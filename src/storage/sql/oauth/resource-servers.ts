import type { Kysely } from 'kysely';
import type {
  AccessTokenFormat,
  ResourceServerRecord,
  ResourceServerStore,
  ScopeRecord,
} from '../../ports/oauth.js';
import { byteOrder, dialectOf } from '../dialect.js';
import type { Database } from '../tables.js';

export function resourceServerStore(db: Kysely<Database>): ResourceServerStore {
  const dialect = dialectOf(db);
  const toRecord = (r: Database['oauth_resource_servers']): ResourceServerRecord => ({
    id: r.id,
    accountId: r.account_id,
    identifier: r.identifier,
    name: r.name,
    tokenFormat: r.token_format as AccessTokenFormat,
    accessTokenTtl: r.access_token_ttl,
    secretHash: r.secret_hash,
    createdAt: r.created_at,
  });
  const toScope = (r: Database['oauth_scopes']): ScopeRecord => ({
    accountId: r.account_id,
    name: r.name,
    resourceServerId: r.resource_server_id,
    description: r.description,
    exclusive: r.exclusive === 1,
    createdAt: r.created_at,
  });
  const select = () => db.selectFrom('oauth_resource_servers').selectAll();
  return {
    async insert(s, scopes) {
      await db
        .insertInto('oauth_resource_servers')
        .values({
          id: s.id,
          account_id: s.accountId,
          identifier: s.identifier,
          name: s.name,
          token_format: s.tokenFormat,
          access_token_ttl: s.accessTokenTtl,
          secret_hash: s.secretHash,
          created_at: s.createdAt,
        })
        .execute();
      if (scopes.length === 0) return;
      await db
        .insertInto('oauth_scopes')
        .values(
          scopes.map((scope) => ({
            account_id: scope.accountId,
            name: scope.name,
            resource_server_id: scope.resourceServerId,
            description: scope.description,
            exclusive: scope.exclusive ? 1 : 0,
            created_at: scope.createdAt,
          })),
        )
        .execute();
    },
    async get(accountId, id) {
      const row = await select().where('account_id', '=', accountId).where('id', '=', id).executeTakeFirst();
      return row && toRecord(row);
    },
    async findByIdentifier(accountId, identifier) {
      const row = await select()
        .where('account_id', '=', accountId)
        .where('identifier', '=', identifier)
        .executeTakeFirst();
      return row && toRecord(row);
    },
    async findBySecretHash(secretHash) {
      const row = await select().where('secret_hash', '=', secretHash).executeTakeFirst();
      return row && toRecord(row);
    },
    async list(accountId) {
      const rows = await select()
        .where('account_id', '=', accountId)
        .orderBy('created_at')
        .orderBy(byteOrder(dialect, 'id'))
        .execute();
      return rows.map(toRecord);
    },
    async scopes(accountId) {
      const rows = await db
        .selectFrom('oauth_scopes')
        .selectAll()
        .where('account_id', '=', accountId)
        .orderBy(byteOrder(dialect, 'name'))
        .execute();
      return rows.map(toScope);
    },
    async delete(accountId, id) {
      const result = await db
        .deleteFrom('oauth_resource_servers')
        .where('account_id', '=', accountId)
        .where('id', '=', id)
        .executeTakeFirst();
      return result.numDeletedRows > 0n;
    },
  };
}
