import type { Kysely } from 'kysely';
import type { LoginSessionStore } from '../../ports/oauth.js';
import type { Database } from '../tables.js';

export function loginSessionStore(db: Kysely<Database>): LoginSessionStore {
  return {
    async insert(s) {
      await db
        .insertInto('login_sessions')
        .values({
          id: s.id,
          secret_hash: s.secretHash,
          account_id: s.accountId,
          user_id: s.userId,
          csrf_token: s.csrfToken,
          created_at: s.createdAt,
          expires_at: s.expiresAt,
          amr: s.amr === undefined ? null : JSON.stringify(s.amr),
        })
        .execute();
    },
    async findByHash(secretHash) {
      const r = await db
        .selectFrom('login_sessions')
        .selectAll()
        .where('secret_hash', '=', secretHash)
        .executeTakeFirst();
      return (
        r && {
          id: r.id,
          secretHash: r.secret_hash,
          accountId: r.account_id,
          userId: r.user_id,
          csrfToken: r.csrf_token,
          createdAt: r.created_at,
          expiresAt: r.expires_at,
          ...(r.amr === null ? {} : { amr: JSON.parse(r.amr) as string[] }),
        }
      );
    },
    async purgeExpired(before) {
      const result = await db
        .deleteFrom('login_sessions')
        .where('expires_at', '<', before)
        .executeTakeFirst();
      return Number(result.numDeletedRows);
    },
    async delete(id) {
      await db.deleteFrom('login_sessions').where('id', '=', id).execute();
    },
    async deleteForUser(userId, exceptId) {
      let query = db.deleteFrom('login_sessions').where('user_id', '=', userId);
      if (exceptId !== undefined) query = query.where('id', '!=', exceptId);
      const result = await query.executeTakeFirst();
      return Number(result.numDeletedRows);
    },
  };
}
