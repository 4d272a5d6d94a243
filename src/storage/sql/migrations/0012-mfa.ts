import type { ColumnDefinitionBuilder, Kysely, Migration } from 'kysely';
import type { DialectTypes } from './dialect-types.js';

/**
 * TOTP multi-factor sign-in: a user's sealed TOTP secret with the last time-step it accepted,
 * their recovery codes (hashes only), the account's policy, and the pending second steps of
 * sign-ins (hash of the browser's cookie only). Everything goes with its user or account
 * (cascade). Time-steps are counts of 30-second periods since the epoch: 64-bit. A pending TOTP
 * row names the one sign-in context it was shown to (`pending_for`: a login session's or a
 * pending second step's id, never a cookie value); an enabled row has none.
 */
export const mfa = (t: DialectTypes): Migration => ({
  async up(db: Kysely<unknown>) {
    const account = (c: ColumnDefinitionBuilder) => c.notNull().references('accounts.id').onDelete('cascade');
    const user = (c: ColumnDefinitionBuilder) => c.notNull().references('users.id').onDelete('cascade');
    await db.schema
      .createTable('user_totp')
      .addColumn('user_id', 'text', (c) => user(c).primaryKey())
      .addColumn('account_id', 'text', account)
      .addColumn('secret', t.blob, (c) => c.notNull())
      .addColumn('enabled', 'integer', (c) => c.notNull())
      .addColumn('last_step', 'bigint', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('enabled_at', 'text')
      .addColumn('pending_for', 'text')
      .execute();
    await db.schema
      .createTable('user_recovery_codes')
      .addColumn('user_id', 'text', user)
      .addColumn('code_hash', t.blob, (c) => c.notNull())
      .addColumn('used_at', 'text')
      .addPrimaryKeyConstraint('user_recovery_codes_pk', ['user_id', 'code_hash'])
      .execute();
    await db.schema
      .createTable('account_policies')
      .addColumn('account_id', 'text', (c) => account(c).primaryKey())
      .addColumn('require_mfa', 'integer', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('mfa_challenges')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('secret_hash', t.blob, (c) => c.notNull().unique())
      .addColumn('account_id', 'text', account)
      .addColumn('user_id', 'text', user)
      .addColumn('purpose', 'text', (c) => c.notNull())
      .addColumn('csrf_token', 'text', (c) => c.notNull())
      .addColumn('attempts', 'integer', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('expires_at', 'text', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('mfa_challenges_expires').on('mfa_challenges').column('expires_at').execute();
  },
});
