import type { Kysely } from 'kysely';
import type { UsedJtiStore } from '../../ports/oauth.js';
import type { Database } from '../tables.js';

/**
 * Used client-assertion `jti`s. A claim is one upsert that takes the key over only where its
 * record has expired (`DO UPDATE … WHERE expires_at <= now`) and returns a row only when it
 * inserted or took over: the check and the record are one statement, so of concurrent claims
 * (on SQLite, serialised by its one writer; on PostgreSQL, by the unique key's row lock, the
 * loser re-checking the winner's committed row) exactly one gets a row back.
 */
export function usedJtiStore(db: Kysely<Database>): UsedJtiStore {
  return {
    async claim(key, expiresAt, now) {
      if (!Number.isSafeInteger(expiresAt) || !Number.isSafeInteger(now)) {
        throw new TypeError('used jtis: integer epoch milliseconds');
      }
      const claimed = await db
        .insertInto('oauth_used_jtis')
        .values({ key, expires_at: expiresAt })
        .onConflict((oc) =>
          oc
            .column('key')
            .doUpdateSet((eb) => ({ expires_at: eb.ref('excluded.expires_at') }))
            .where('oauth_used_jtis.expires_at', '<=', now),
        )
        .returning('key')
        .executeTakeFirst();
      return claimed !== undefined;
    },

    async purgeExpired(before) {
      const result = await db
        .deleteFrom('oauth_used_jtis')
        .where('expires_at', '<', before)
        .executeTakeFirst();
      return Number(result.numDeletedRows);
    },
  };
}
