import type { Kysely, Selectable } from 'kysely';
import type { AuthorizationCodeRecord, AuthorizationCodeStore } from '../../ports/oauth.js';
import type { Database } from '../tables.js';
import { detailsColumn, detailsOf } from './authorization-details.js';

export function authorizationCodeStore(db: Kysely<Database>): AuthorizationCodeStore {
  return {
    async insert(c) {
      await db
        .insertInto('oauth_codes')
        .values({
          id: c.id,
          code_hash: c.codeHash,
          account_id: c.accountId,
          client_id: c.clientId,
          user_id: c.userId,
          grant_id: c.grantId,
          redirect_uri: c.redirectUri,
          resource: c.resource,
          scopes: JSON.stringify(c.scopes),
          code_challenge: c.codeChallenge,
          created_at: c.createdAt,
          expires_at: c.expiresAt,
          consumed_at: null,
          nonce: c.signIn?.nonce ?? null,
          auth_time: c.signIn?.authTime ?? null,
          amr: c.signIn ? JSON.stringify(c.signIn.amr) : null,
          dpop_jkt: c.dpopJkt ?? null,
          authorization_details: detailsColumn(c.authorizationDetails),
        })
        .execute();
    },
    async findByHash(codeHash) {
      const r = await db
        .selectFrom('oauth_codes')
        .selectAll()
        .where('code_hash', '=', codeHash)
        .executeTakeFirst();
      return r && codeRecord(r);
    },
    async findById(id) {
      const r = await db.selectFrom('oauth_codes').selectAll().where('id', '=', id).executeTakeFirst();
      return r && codeRecord(r);
    },
    async purgeExpired(before) {
      const result = await db.deleteFrom('oauth_codes').where('expires_at', '<', before).executeTakeFirst();
      return Number(result.numDeletedRows);
    },
    async consume(id, at) {
      const result = await db
        .updateTable('oauth_codes')
        .set({ consumed_at: at })
        .where('id', '=', id)
        .where('consumed_at', 'is', null)
        .executeTakeFirst();
      return result.numUpdatedRows > 0n;
    },
  };
}

function codeRecord(
  r: Selectable<Database['oauth_codes']>,
): AuthorizationCodeRecord & { consumedAt: string | null } {
  return {
    id: r.id,
    codeHash: r.code_hash,
    accountId: r.account_id,
    clientId: r.client_id,
    userId: r.user_id,
    grantId: r.grant_id,
    redirectUri: r.redirect_uri,
    resource: r.resource,
    scopes: JSON.parse(r.scopes) as string[],
    codeChallenge: r.code_challenge,
    createdAt: r.created_at,
    expiresAt: r.expires_at,
    consumedAt: r.consumed_at,
    ...(r.dpop_jkt === null ? {} : { dpopJkt: r.dpop_jkt }),
    ...(r.auth_time === null
      ? {}
      : { signIn: { authTime: r.auth_time, amr: JSON.parse(r.amr ?? '[]') as string[], nonce: r.nonce } }),
    ...detailsOf(r.authorization_details),
  };
}
