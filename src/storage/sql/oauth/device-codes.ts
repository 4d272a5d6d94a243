import { type Kysely, sql } from 'kysely';
import type { DeviceCodeRecord, DeviceCodeStatus, DeviceCodeStore } from '../../ports/oauth.js';
import type { Database } from '../tables.js';

/** Seconds RFC 8628 §3.5 adds to the polling interval at every `slow_down`. */
const SLOW_DOWN_STEP = 5;

export function deviceCodeStore(db: Kysely<Database>): DeviceCodeStore {
  const toRecord = (r: Database['oauth_device_codes']): DeviceCodeRecord => ({
    id: r.id,
    deviceCodeHash: r.device_code_hash,
    userCodeHash: r.user_code_hash,
    accountId: r.account_id,
    clientId: r.client_id,
    resource: r.resource,
    scopes: JSON.parse(r.scopes) as string[],
    status: r.status as DeviceCodeStatus,
    userId: r.user_id,
    grantId: r.grant_id,
    interval: Number(r.poll_interval),
    lastPolledAt: r.last_polled_at === null ? null : Number(r.last_polled_at),
    createdAt: r.created_at,
    expiresAt: r.expires_at,
  });
  /** Moves a code from one status to another; false when it was not in `from`. */
  const move = async (id: string, from: DeviceCodeStatus, set: Partial<Database['oauth_device_codes']>) => {
    const result = await db
      .updateTable('oauth_device_codes')
      .set(set)
      .where('id', '=', id)
      .where('status', '=', from)
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  };
  return {
    async insert(c) {
      await db
        .insertInto('oauth_device_codes')
        .values({
          id: c.id,
          device_code_hash: c.deviceCodeHash,
          user_code_hash: c.userCodeHash,
          account_id: c.accountId,
          client_id: c.clientId,
          resource: c.resource,
          scopes: JSON.stringify(c.scopes),
          status: c.status,
          user_id: c.userId,
          grant_id: c.grantId,
          poll_interval: c.interval,
          last_polled_at: c.lastPolledAt,
          created_at: c.createdAt,
          expires_at: c.expiresAt,
        })
        .execute();
    },
    async findByDeviceCodeHash(hash) {
      const row = await db
        .selectFrom('oauth_device_codes')
        .selectAll()
        .where('device_code_hash', '=', hash)
        .executeTakeFirst();
      return row && toRecord(row);
    },
    async findByUserCodeHash(accountId, hash) {
      const row = await db
        .selectFrom('oauth_device_codes')
        .selectAll()
        .where('account_id', '=', accountId)
        .where('user_code_hash', '=', hash)
        .executeTakeFirst();
      return row && toRecord(row);
    },
    async poll(id, now) {
      // One statement decides: of concurrent polls, at most one finds the interval elapsed.
      const result = await db
        .updateTable('oauth_device_codes')
        .set({ last_polled_at: now })
        .where('id', '=', id)
        .where((eb) =>
          eb.or([
            eb('last_polled_at', 'is', null),
            eb(sql<number>`last_polled_at + poll_interval * 1000`, '<=', now),
          ]),
        )
        .executeTakeFirst();
      if (result.numUpdatedRows > 0n) return 'ok';
      await db
        .updateTable('oauth_device_codes')
        .set({ poll_interval: sql`poll_interval + ${SLOW_DOWN_STEP}`, last_polled_at: now })
        .where('id', '=', id)
        .execute();
      return 'slow_down';
    },
    approve: (id, userId, grantId) =>
      move(id, 'pending', { status: 'approved', user_id: userId, grant_id: grantId }),
    deny: (id) => move(id, 'pending', { status: 'denied' }),
    consume: (id) => move(id, 'approved', { status: 'consumed' }),
    async purgeExpired(before) {
      const result = await db
        .deleteFrom('oauth_device_codes')
        .where('expires_at', '<', before)
        .executeTakeFirst();
      return Number(result.numDeletedRows);
    },
  };
}
