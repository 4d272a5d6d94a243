import type { Kysely, Migration } from 'kysely';
import type { DialectTypes } from './dialect-types.js';

/** Connect servers, their vault sets and tokens, and the accounts' signing keys. */
export const connect = (t: DialectTypes): Migration => ({
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('signing_keys')
      .addColumn('kid', 'text', (c) => c.primaryKey())
      .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
      .addColumn('public_jwk', 'text', (c) => c.notNull())
      .addColumn('private_key', t.blob, (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('retired_at', 'text')
      .execute();
    await db.schema.createIndex('signing_keys_account').on('signing_keys').column('account_id').execute();
    await db.schema
      .createTable('connect_servers')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('secret_hash', t.blob, (c) => c.notNull().unique())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('connect_servers_account')
      .on('connect_servers')
      .column('account_id')
      .execute();
    await db.schema
      .createTable('connect_server_vaults')
      .addColumn('server_id', 'text', (c) => c.notNull().references('connect_servers.id').onDelete('cascade'))
      .addColumn('vault_id', 'text', (c) => c.notNull().references('vaults.id').onDelete('cascade'))
      .addPrimaryKeyConstraint('connect_server_vaults_pk', ['server_id', 'vault_id'])
      .execute();
    await db.schema
      .createTable('connect_tokens')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
      .addColumn('server_id', 'text', (c) => c.notNull().references('connect_servers.id').onDelete('cascade'))
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('grants', 'text', (c) => c.notNull())
      .addColumn('signature_hash', t.blob, (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('expires_at', 'text')
      .addColumn('revoked_at', 'text')
      .execute();
    await db.schema.createIndex('connect_tokens_server').on('connect_tokens').column('server_id').execute();
  },
});
