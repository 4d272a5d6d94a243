import { type Kysely, type Migration, sql } from 'kysely';
import type { DialectTypes } from './dialect-types.js';

export const initial = (t: DialectTypes): Migration => ({
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('meta')
      .addColumn('key', 'text', (c) => c.primaryKey())
      .addColumn('value', 'text', (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('accounts')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('users')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
      .addColumn('email', 'text', (c) => c.notNull())
      .addColumn('password_hash', 'text', (c) => c.notNull())
      .addColumn('role', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .execute();
    // Unique per account, not globally: a global index would let one tenant probe another's users.
    await db.schema
      .createIndex('users_account_email')
      .on('users')
      .columns(['account_id', 'email'])
      .unique()
      .execute();
    await db.schema
      .createTable('admin_tokens')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('token_hash', t.blob, (c) => c.notNull().unique())
      .addColumn('operator', 'integer', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('vaults')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
      .addColumn('wrapped_key', t.blob, (c) => c.notNull())
      .addColumn('attributes', t.blob, (c) => c.notNull())
      .addColumn('type', 'text', (c) => c.notNull())
      .addColumn('attribute_version', 'integer', (c) => c.notNull())
      .addColumn('content_version', 'integer', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('vaults_account').on('vaults').column('account_id').execute();
    await db.schema
      .createTable('vault_access')
      .addColumn('vault_id', 'text', (c) => c.notNull().references('vaults.id').onDelete('cascade'))
      .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
      .addColumn('permissions', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('vault_access_pk', ['vault_id', 'user_id'])
      .execute();
    await db.schema.createIndex('vault_access_user').on('vault_access').column('user_id').execute();
    await db.schema
      .createTable('items')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('vault_id', 'text', (c) => c.notNull().references('vaults.id').onDelete('cascade'))
      .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
      .addColumn('version', 'integer', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .addColumn('last_edited_by', 'text', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('items_vault').on('items').column('vault_id').execute();
    await db.schema
      .createTable('item_versions')
      .addColumn('item_id', 'text', (c) => c.notNull().references('items.id').onDelete('cascade'))
      .addColumn('version', 'integer', (c) => c.notNull())
      .addColumn('overview', t.blob, (c) => c.notNull())
      .addColumn('details', t.blob, (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('edited_by', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('item_versions_pk', ['item_id', 'version'])
      .execute();
    await db.schema
      .createTable('files')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('item_id', 'text', (c) => c.notNull().references('items.id').onDelete('cascade'))
      .addColumn('vault_id', 'text', (c) => c.notNull().references('vaults.id').onDelete('cascade'))
      .addColumn('meta', t.blob, (c) => c.notNull())
      .addColumn('size', 'integer', (c) => c.notNull())
      .addColumn('content', t.blob, (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('files_item').on('files').column('item_id').execute();
    // Audit events outlive what they describe (no foreign keys): a deleted account's trail stays.
    await db.schema
      .createTable('audit_events')
      .addColumn('seq', sql.raw(t.serialPrimaryKey))
      .addColumn('occurred_at', 'text', (c) => c.notNull())
      .addColumn('account_id', 'text')
      .addColumn('actor_type', 'text', (c) => c.notNull())
      .addColumn('actor_id', 'text', (c) => c.notNull())
      .addColumn('token_id', 'text')
      .addColumn('action', 'text', (c) => c.notNull())
      .addColumn('resource_type', 'text', (c) => c.notNull())
      .addColumn('resource_id', 'text')
      .addColumn('vault_id', 'text')
      .addColumn('item_id', 'text')
      .addColumn('item_version', 'integer')
      .addColumn('result', 'text', (c) => c.notNull())
      .addColumn('request_id', 'text')
      .addColumn('ip', 'text')
      .addColumn('user_agent', 'text')
      .execute();
    await db.schema
      .createIndex('audit_account_seq')
      .on('audit_events')
      .columns(['account_id', 'seq'])
      .execute();
  },
});
