import { type Kysely, type Migration, sql } from 'kysely';

/**
 * Admin tokens get a lifecycle, and "operator" moves from the token to the account.
 *
 * - `accounts.operator`: the account `keyhold init` founded, whose owners (tokens and people
 *   alike) may manage other accounts. Before, only the bootstrap token carried the flag, so the
 *   account of any token that carried it is the operator account.
 * - `admin_tokens.role`: every token made so far could do everything in its account, so each
 *   becomes an `owner` token; `expires_at` (null: never), `revoked_at` (null: live; revoked rows
 *   are kept, so the list shows them and a revoked secret is recognised as revoked) and
 *   `created_by` (the actor id that made it; null for tokens made before it was recorded).
 * - The per-token `operator` column goes: it would otherwise be a second, stale answer.
 */
export const adminTokenLifecycle: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .alterTable('accounts')
      .addColumn('operator', 'integer', (c) => c.notNull().defaultTo(0))
      .execute();
    await sql`
      update accounts set operator = 1
      where id in (select account_id from admin_tokens where operator = 1)`.execute(db);
    await db.schema
      .alterTable('admin_tokens')
      .addColumn('role', 'text', (c) => c.notNull().defaultTo('owner'))
      .execute();
    await db.schema.alterTable('admin_tokens').addColumn('expires_at', 'text').execute();
    await db.schema.alterTable('admin_tokens').addColumn('revoked_at', 'text').execute();
    await db.schema.alterTable('admin_tokens').addColumn('created_by', 'text').execute();
    await db.schema.alterTable('admin_tokens').dropColumn('operator').execute();
  },
};
