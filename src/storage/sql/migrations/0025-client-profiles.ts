import type { Kysely, Migration } from 'kysely';

/**
 * Per-client profiles of the authorization server (src/domain/oauth/client-profile.ts) and
 * authorization-code binding to a DPoP key (RFC 9449 §10).
 *
 * - `oauth_clients.require_pushed_authorization_requests` (RFC 9126 §6's client metadata): 1 when
 *   the client's authorization requests are taken only through the PAR endpoint.
 * - `oauth_clients.fapi2_security_profile`: 1 when the client is held to the FAPI 2.0 Security
 *   Profile (PAR, DPoP, private_key_jwt with the issuer alone as the assertion's audience).
 * - `oauth_codes.dpop_jkt`: the thumbprint of the DPoP key a code is bound to (the request's
 *   `dpop_jkt`, or the key of the proof sent with the pushed request); null for an unbound code.
 */
export const clientProfiles: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .alterTable('oauth_clients')
      .addColumn('require_pushed_authorization_requests', 'integer', (c) => c.notNull().defaultTo(0))
      .execute();
    await db.schema
      .alterTable('oauth_clients')
      .addColumn('fapi2_security_profile', 'integer', (c) => c.notNull().defaultTo(0))
      .execute();
    await db.schema.alterTable('oauth_codes').addColumn('dpop_jkt', 'text').execute();
  },
};
