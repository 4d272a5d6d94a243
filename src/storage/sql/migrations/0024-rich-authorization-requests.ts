import type { Kysely, Migration } from 'kysely';

/**
 * Rich authorization requests (RFC 9396, src/domain/oauth/authorization-details.ts): the
 * `keyhold_vault` authorization details a user approved, as a JSON array. On the grant, what the
 * user approved last; on a code, what its consent approved, for the tokens it is redeemed for;
 * on a token, what it was issued with — what `decide()` holds it to. Null everywhere a request
 * carried no details (a token then has exactly what its scopes say).
 */
export const richAuthorizationRequests: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema.alterTable('oauth_grants').addColumn('authorization_details', 'text').execute();
    await db.schema.alterTable('oauth_codes').addColumn('authorization_details', 'text').execute();
    await db.schema.alterTable('oauth_tokens').addColumn('authorization_details', 'text').execute();
  },
};
