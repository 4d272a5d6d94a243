import type { Kysely } from 'kysely';
import type { SigningKeyKind, SigningKeyRecord, SigningKeyStore } from '../ports.js';
import { byteOrder, dialectOf } from './dialect.js';
import type { Database } from './tables.js';

export function signingKeyStore(db: Kysely<Database>): SigningKeyStore {
  const dialect = dialectOf(db);
  const toRecord = (r: Database['signing_keys']): SigningKeyRecord => ({
    kid: r.kid,
    accountId: r.account_id,
    kind: r.kind as SigningKeyKind,
    publicJwk: r.public_jwk,
    privateKey: r.private_key,
    createdAt: r.created_at,
    retiredAt: r.retired_at,
    oauthUntil: r.oauth_until,
    withdrawnAt: r.withdrawn_at,
  });
  return {
    async insert(k) {
      await db
        .insertInto('signing_keys')
        .values({
          kid: k.kid,
          account_id: k.accountId,
          kind: k.kind,
          public_jwk: k.publicJwk,
          private_key: k.privateKey,
          created_at: k.createdAt,
          retired_at: k.retiredAt,
          oauth_until: k.oauthUntil,
          withdrawn_at: k.withdrawnAt,
        })
        .execute();
    },
    async get(kid) {
      const row = await db.selectFrom('signing_keys').selectAll().where('kid', '=', kid).executeTakeFirst();
      return row && toRecord(row);
    },
    async current(accountId, kind) {
      // At most one row: a partial unique index holds one unretired key per account and kind.
      const row = await db
        .selectFrom('signing_keys')
        .selectAll()
        .where('account_id', '=', accountId)
        .where('kind', '=', kind)
        .where('retired_at', 'is', null)
        .executeTakeFirst();
      return row && toRecord(row);
    },
    async list(accountId) {
      const rows = await db
        .selectFrom('signing_keys')
        .selectAll()
        .where('account_id', '=', accountId)
        .orderBy('created_at', 'desc')
        .orderBy(byteOrder(dialect, 'kid'), 'desc')
        .execute();
      return rows.map(toRecord);
    },
    async retireCurrent(accountId, kind, at) {
      await db
        .updateTable('signing_keys')
        .set({ retired_at: at })
        .where('account_id', '=', accountId)
        .where('kind', '=', kind)
        .where('retired_at', 'is', null)
        .execute();
    },
    async withdraw(accountId, kid, at) {
      // `retired_at is not null` here, not only in the service: a rotation that runs at the same
      // time cannot leave the account's current key withdrawn.
      const result = await db
        .updateTable('signing_keys')
        .set({ withdrawn_at: at })
        .where('kid', '=', kid)
        .where('account_id', '=', accountId)
        .where('retired_at', 'is not', null)
        .where('withdrawn_at', 'is', null)
        .executeTakeFirst();
      return result.numUpdatedRows > 0n;
    },
  };
}
