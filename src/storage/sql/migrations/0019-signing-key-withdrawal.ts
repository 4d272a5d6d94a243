import type { Kysely, Migration } from 'kysely';

/**
 * A signing key withdrawn for good: `signing_keys.withdrawn_at` is set when an administrator
 * withdraws a key that is no longer current (a leaked key). From then on no token signed by it
 * verifies anywhere: not the central Connect verifier, not a standalone node, not an OAuth
 * introspection, and it leaves both JWKS documents. It is a state of its own, apart from
 * `retired_at` (which only says a newer key took over signing, while the old one still
 * verifies), and it is final: nothing clears it.
 */
export const signingKeyWithdrawal: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema.alterTable('signing_keys').addColumn('withdrawn_at', 'text').execute();
  },
};
