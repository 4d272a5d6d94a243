import { type Kysely, type Migration, sql } from 'kysely';

/**
 * One signing key per kind of token (RFC 8725 §3.12): Connect tokens and OAuth JWTs no longer
 * share a key. Every key made so far signed both, so each becomes a Connect key: Connect tokens
 * may live for years and must keep verifying. The OAuth JWT access tokens such a key signed end
 * within a day, so the key also records when the last access token the account issued while it
 * was current expires (`oauth_until`; opaque tokens count too, which only errs on the long side),
 * and stays in the OAuth JWKS until then. The account's first OAuth key is made at first use
 * (src/domain/connect/signing-keys.ts), since sealing one needs the master key, which migrations
 * never see. The partial unique index makes "one current key per account and kind" a property
 * of the table, so two nodes making that first key at once cannot both succeed.
 */
export const signingKeyKinds: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .alterTable('signing_keys')
      .addColumn('kind', 'text', (c) => c.notNull().defaultTo('connect'))
      .execute();
    await db.schema.alterTable('signing_keys').addColumn('oauth_until', 'text').execute();
    await sql`
      update signing_keys set oauth_until = (
        select max(t.expires_at) from oauth_tokens t
        where t.account_id = signing_keys.account_id
          and t.kind = 'access'
          and (signing_keys.retired_at is null or t.created_at <= signing_keys.retired_at)
      )`.execute(db);
    await db.schema
      .createIndex('signing_keys_current')
      .on('signing_keys')
      .columns(['account_id', 'kind'])
      .unique()
      .where(sql.ref('retired_at'), 'is', null)
      .execute();
  },
};
