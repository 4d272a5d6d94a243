import type { Kysely, Migration } from 'kysely';

/**
 * DPoP (RFC 9449). `oauth_tokens.jkt` is the RFC 7638 thumbprint of the key a token is bound to
 * (null: a bearer token); a bound token is honoured only with a proof signed by that key.
 * `oauth_clients.dpop_bound_access_tokens` (RFC 9449 §5.2's client metadata) is 1 when the client
 * must always prove possession: its token requests without a proof are refused.
 */
export const dpop: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema.alterTable('oauth_tokens').addColumn('jkt', 'text').execute();
    await db.schema
      .alterTable('oauth_clients')
      .addColumn('dpop_bound_access_tokens', 'integer', (c) => c.notNull().defaultTo(0))
      .execute();
  },
};
