import type { ColumnDefinitionBuilder, Kysely, Migration } from 'kysely';
import type { DialectTypes } from './dialect-types.js';

/**
 * Users that can be managed: `users.disabled_at` (set while a user is disabled; every use of the
 * user's credentials checks it), and the one-time password-reset links an administrator creates.
 * A link is stored as the SHA-256 of its secret only; it goes with its user (cascade).
 */
export const userLifecycle = (t: DialectTypes): Migration => ({
  async up(db: Kysely<unknown>) {
    await db.schema.alterTable('users').addColumn('disabled_at', 'text').execute();
    const cascade = (table: string) => (c: ColumnDefinitionBuilder) =>
      c.notNull().references(table).onDelete('cascade');
    await db.schema
      .createTable('password_resets')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('secret_hash', t.blob, (c) => c.notNull().unique())
      .addColumn('account_id', 'text', cascade('accounts.id'))
      .addColumn('user_id', 'text', cascade('users.id'))
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('expires_at', 'text', (c) => c.notNull())
      .addColumn('used_at', 'text')
      .execute();
    await db.schema.createIndex('password_resets_user').on('password_resets').column('user_id').execute();
  },
});
