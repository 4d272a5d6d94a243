import { type Kysely, type Migration, sql } from 'kysely';
import type { DialectTypes } from './dialect-types.js';

/**
 * Sign-in for the CLI (RFC 8628): the device authorization codes, and the built-in CLI client
 * (`kc-cli-{account}`, src/domain/oauth/cli-client.ts) for every account founded before it;
 * accounts founded from now on get theirs when they are founded. Codes go with their client,
 * user and grant (cascade). The device code and the user code are stored as SHA-256 hashes; a
 * user code is unique among its account's codes, so entering one finds exactly one.
 */
export const cliSignIn = (t: DialectTypes): Migration => ({
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('oauth_device_codes')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('device_code_hash', t.blob, (c) => c.notNull().unique())
      .addColumn('user_code_hash', t.blob, (c) => c.notNull())
      .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
      .addColumn('client_id', 'text', (c) => c.notNull().references('oauth_clients.id').onDelete('cascade'))
      .addColumn('resource', 'text', (c) => c.notNull())
      .addColumn('scopes', 'text', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('user_id', 'text', (c) => c.references('users.id').onDelete('cascade'))
      .addColumn('grant_id', 'text', (c) => c.references('oauth_grants.id').onDelete('cascade'))
      .addColumn('poll_interval', 'integer', (c) => c.notNull())
      .addColumn('last_polled_at', 'bigint')
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('expires_at', 'text', (c) => c.notNull())
      .addUniqueConstraint('oauth_device_codes_user_code', ['account_id', 'user_code_hash'])
      .execute();
    await db.schema
      .createIndex('oauth_device_codes_expires')
      .on('oauth_device_codes')
      .column('expires_at')
      .execute();
    // The same record cliClientRecord() makes, for each existing account.
    await sql`
      insert into oauth_clients
        (id, account_id, name, auth_method, secret_hash, jwks, redirect_uris, grant_types, scopes, created_at)
      select 'kc-cli-' || a.id, a.id, 'Keyhold CLI', 'none', null, null, '[]',
        '["urn:ietf:params:oauth:grant-type:device_code","refresh_token"]', '[]', a.created_at
      from accounts a
      where not exists (select 1 from oauth_clients c where c.id = 'kc-cli-' || a.id)`.execute(db);
  },
});
