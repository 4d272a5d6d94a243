import type { Kysely } from 'kysely';
import type { PasswordResetStore } from '../ports.js';
import { dialectOf, held } from './dialect.js';
import type { Database } from './tables.js';

export function passwordResetStore(db: Kysely<Database>): PasswordResetStore {
  const dialect = dialectOf(db);
  return {
    async replace(r) {
      // The user's row is held first: of two links made at once (on two nodes), the second waits,
      // then deletes the first. Without it, each delete would miss the other's row, inserted by a
      // transaction still open, and both links would stay. In the caller's transaction, or one of
      // its own.
      const replace = async (trx: Kysely<Database>) => {
        const user = trx.selectFrom('users').select('id').where('id', '=', r.userId);
        await held(dialect, user, 'update').execute();
        await trx.deleteFrom('password_resets').where('user_id', '=', r.userId).execute();
        await trx
          .insertInto('password_resets')
          .values({
            id: r.id,
            secret_hash: r.secretHash,
            account_id: r.accountId,
            user_id: r.userId,
            created_at: r.createdAt,
            expires_at: r.expiresAt,
            used_at: r.usedAt,
          })
          .execute();
      };
      await (db.isTransaction ? replace(db) : db.transaction().execute(replace));
    },
    async findByHash(secretHash) {
      const r = await db
        .selectFrom('password_resets')
        .selectAll()
        .where('secret_hash', '=', secretHash)
        .executeTakeFirst();
      return (
        r && {
          id: r.id,
          secretHash: r.secret_hash,
          accountId: r.account_id,
          userId: r.user_id,
          createdAt: r.created_at,
          expiresAt: r.expires_at,
          usedAt: r.used_at,
        }
      );
    },
    async markUsed(id, at) {
      const result = await db
        .updateTable('password_resets')
        .set({ used_at: at })
        .where('id', '=', id)
        .where('used_at', 'is', null)
        .where('expires_at', '>', at)
        .executeTakeFirst();
      return result.numUpdatedRows > 0n;
    },
    async deleteForUser(userId) {
      const result = await db
        .deleteFrom('password_resets')
        .where('user_id', '=', userId)
        .where('used_at', 'is', null)
        .executeTakeFirst();
      return Number(result.numDeletedRows);
    },
  };
}
