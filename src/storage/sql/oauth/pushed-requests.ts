import type { Kysely } from 'kysely';
import type { PushedRequestStore } from '../../ports/oauth.js';
import type { Database } from '../tables.js';

/**
 * Pushed authorization requests. `consume` is one conditional UPDATE: on SQLite its one writer
 * serialises them, on PostgreSQL the row lock makes a second UPDATE re-check the first one's
 * committed row, so of concurrent consumptions exactly one changes a row.
 */
export function pushedRequestStore(db: Kysely<Database>): PushedRequestStore {
  return {
    async insert(r) {
      await db
        .insertInto('oauth_pushed_requests')
        .values({
          id: r.id,
          uri_hash: r.uriHash,
          account_id: r.accountId,
          client_id: r.clientId,
          parameters: r.parameters,
          created_at: r.createdAt,
          expires_at: r.expiresAt,
          opened_at: r.openedAt,
          consumed_at: r.consumedAt,
        })
        .execute();
    },

    async findByHash(uriHash) {
      const r = await db
        .selectFrom('oauth_pushed_requests')
        .selectAll()
        .where('uri_hash', '=', uriHash)
        .executeTakeFirst();
      return (
        r && {
          id: r.id,
          uriHash: r.uri_hash,
          accountId: r.account_id,
          clientId: r.client_id,
          parameters: r.parameters,
          createdAt: r.created_at,
          expiresAt: r.expires_at,
          openedAt: r.opened_at,
          consumedAt: r.consumed_at,
        }
      );
    },

    async open(id, at, until) {
      const result = await db
        .updateTable('oauth_pushed_requests')
        .set({ opened_at: at, expires_at: until })
        .where('id', '=', id)
        .where('opened_at', 'is', null)
        .where('consumed_at', 'is', null)
        .where('expires_at', '>', at)
        .executeTakeFirst();
      return result.numUpdatedRows > 0n;
    },

    async consume(id, at) {
      const result = await db
        .updateTable('oauth_pushed_requests')
        .set({ consumed_at: at })
        .where('id', '=', id)
        .where('consumed_at', 'is', null)
        .where('expires_at', '>', at)
        .executeTakeFirst();
      return result.numUpdatedRows > 0n;
    },

    async purgeExpired(before) {
      const result = await db
        .deleteFrom('oauth_pushed_requests')
        .where('expires_at', '<', before)
        .executeTakeFirst();
      return Number(result.numDeletedRows);
    },
  };
}
