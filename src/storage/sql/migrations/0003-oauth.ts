import { type ColumnDefinitionBuilder, type Kysely, type Migration, sql } from 'kysely';
import type { DialectTypes } from './dialect-types.js';

/**
 * The OAuth authorization server: the scope catalog, clients, grants, codes, tokens and login
 * sessions. Everything a user or client owns goes with it (cascade), so deleting a user, client
 * or grant ends its tokens in the same statement.
 */
export const oauth = (t: DialectTypes): Migration => ({
  async up(db: Kysely<unknown>) {
    const account = (c: ColumnDefinitionBuilder) => c.notNull().references('accounts.id').onDelete('cascade');
    await db.schema
      .createTable('oauth_resource_servers')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('account_id', 'text', account)
      .addColumn('identifier', 'text', (c) => c.notNull())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('token_format', 'text', (c) => c.notNull())
      .addColumn('access_token_ttl', 'integer', (c) => c.notNull())
      .addColumn('secret_hash', t.blob, (c) => c.notNull().unique())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addUniqueConstraint('oauth_resource_servers_identifier', ['account_id', 'identifier'])
      .execute();
    await db.schema
      .createTable('oauth_scopes')
      .addColumn('account_id', 'text', account)
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('resource_server_id', 'text', (c) =>
        c.notNull().references('oauth_resource_servers.id').onDelete('cascade'),
      )
      .addColumn('description', 'text', (c) => c.notNull())
      .addColumn('exclusive', 'integer', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('oauth_scopes_pk', ['account_id', 'name'])
      .execute();
    await db.schema
      .createTable('oauth_clients')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('account_id', 'text', account)
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('auth_method', 'text', (c) => c.notNull())
      .addColumn('secret_hash', t.blob)
      .addColumn('jwks', 'text')
      .addColumn('redirect_uris', 'text', (c) => c.notNull())
      .addColumn('grant_types', 'text', (c) => c.notNull())
      .addColumn('scopes', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('oauth_grants')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('account_id', 'text', account)
      .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
      .addColumn('client_id', 'text', (c) => c.notNull().references('oauth_clients.id').onDelete('cascade'))
      .addColumn('resource', 'text', (c) => c.notNull())
      .addColumn('scopes', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .addUniqueConstraint('oauth_grants_user_client_resource', ['user_id', 'client_id', 'resource'])
      .execute();
    await db.schema
      .createTable('oauth_codes')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('code_hash', t.blob, (c) => c.notNull().unique())
      .addColumn('account_id', 'text', account)
      .addColumn('client_id', 'text', (c) => c.notNull().references('oauth_clients.id').onDelete('cascade'))
      .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
      .addColumn('grant_id', 'text', (c) => c.notNull().references('oauth_grants.id').onDelete('cascade'))
      .addColumn('redirect_uri', 'text', (c) => c.notNull())
      .addColumn('resource', 'text', (c) => c.notNull())
      .addColumn('scopes', 'text', (c) => c.notNull())
      .addColumn('code_challenge', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('expires_at', 'text', (c) => c.notNull())
      .addColumn('consumed_at', 'text')
      .execute();
    await db.schema
      .createTable('oauth_tokens')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('token_hash', t.blob, (c) => c.notNull().unique())
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('account_id', 'text', account)
      .addColumn('client_id', 'text', (c) => c.notNull().references('oauth_clients.id').onDelete('cascade'))
      .addColumn('user_id', 'text', (c) => c.references('users.id').onDelete('cascade'))
      .addColumn('grant_id', 'text', (c) => c.references('oauth_grants.id').onDelete('cascade'))
      .addColumn('code_id', 'text')
      .addColumn('resource', 'text', (c) => c.notNull())
      .addColumn('scopes', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('expires_at', 'text', (c) => c.notNull())
      .addColumn('revoked_at', 'text')
      .addColumn('rotated_at', 'text')
      .execute();
    // Partial: client-credentials tokens have neither, and skip both index writes.
    await db.schema
      .createIndex('oauth_tokens_grant')
      .on('oauth_tokens')
      .column('grant_id')
      .where(sql.ref('grant_id'), 'is not', null)
      .execute();
    await db.schema
      .createIndex('oauth_tokens_code')
      .on('oauth_tokens')
      .column('code_id')
      .where(sql.ref('code_id'), 'is not', null)
      .execute();
    await db.schema
      .createTable('login_sessions')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('secret_hash', t.blob, (c) => c.notNull().unique())
      .addColumn('account_id', 'text', account)
      .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
      .addColumn('csrf_token', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('expires_at', 'text', (c) => c.notNull())
      .execute();
  },
});
