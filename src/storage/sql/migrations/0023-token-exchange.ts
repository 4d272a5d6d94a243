import type { Kysely, Migration } from 'kysely';

/**
 * Token exchange (RFC 8693, src/domain/oauth/grant-token-exchange.ts). `oauth_tokens.act` is the
 * `act` claim of a delegated token (JSON, RFC 8693 §4.1: the current actor, prior actors nested),
 * null for every other token. `connect_tokens.oauth_grant_id` is the user's OAuth grant a Connect
 * token was exchanged under (the Connect bridge), null for a Connect token an administrator made:
 * every way a grant ends revokes the Connect tokens that name it (exchanged-connect-tokens.ts).
 * It is kept after the grant is gone, as a record of where the token came from, so it has no
 * foreign key; the index serves the revocation.
 */
export const tokenExchange: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema.alterTable('oauth_tokens').addColumn('act', 'text').execute();
    await db.schema.alterTable('connect_tokens').addColumn('oauth_grant_id', 'text').execute();
    await db.schema
      .createIndex('connect_tokens_oauth_grant')
      .on('connect_tokens')
      .column('oauth_grant_id')
      .execute();
  },
};
