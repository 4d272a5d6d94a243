import type { Kysely, Migration } from 'kysely';

/**
 * OpenID Connect (src/domain/oauth/id-token.ts): what an ID token says about the sign-in behind
 * it. `login_sessions.amr` is how the session's user proved who they are (RFC 8176 values as a
 * JSON array: `["pwd"]`, or `["pwd","otp","mfa"]` after a second step); a session opened before
 * this migration has none and counts as `["pwd"]`. An authorization code records the sign-in it
 * was issued under (`auth_time`: when the session opened; `amr`) and the request's `nonce`, for
 * the ID token of its redemption and of the refreshes that descend from it. All nullable: codes
 * of plain OAuth requests (no `openid`) carry none.
 */
export const openidConnect: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema.alterTable('login_sessions').addColumn('amr', 'text').execute();
    await db.schema.alterTable('oauth_codes').addColumn('nonce', 'text').execute();
    await db.schema.alterTable('oauth_codes').addColumn('auth_time', 'text').execute();
    await db.schema.alterTable('oauth_codes').addColumn('amr', 'text').execute();
  },
};
