import type { ColumnDefinitionBuilder, Kysely, Migration } from 'kysely';
import type { DialectTypes } from './dialect-types.js';

/**
 * Pushed authorization requests (RFC 9126), shared by every node of one database:
 *
 * - `oauth_pushed_requests`: one row per `request_uri` handed out, by the SHA-256 of that URI
 *   (never the URI), with the authorization request's parameters as validated when pushed. A
 *   row is `opened` at its first use at the authorization endpoint and `consumed` when that
 *   request gets its one answer (a code or an error); it goes with its client or account.
 * - `account_policies.require_pushed_requests`: the account refuses authorization requests that
 *   were not pushed first.
 */
export const pushedAuthorizationRequests = (t: DialectTypes): Migration => ({
  async up(db: Kysely<unknown>) {
    const cascade = (table: string) => (c: ColumnDefinitionBuilder) =>
      c.notNull().references(table).onDelete('cascade');
    await db.schema
      .createTable('oauth_pushed_requests')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('uri_hash', t.blob, (c) => c.notNull().unique())
      .addColumn('account_id', 'text', cascade('accounts.id'))
      .addColumn('client_id', 'text', cascade('oauth_clients.id'))
      .addColumn('parameters', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('expires_at', 'text', (c) => c.notNull())
      .addColumn('opened_at', 'text')
      .addColumn('consumed_at', 'text')
      .execute();
    await db.schema
      .createIndex('oauth_pushed_requests_expires')
      .on('oauth_pushed_requests')
      .column('expires_at')
      .execute();
    await db.schema
      .alterTable('account_policies')
      .addColumn('require_pushed_requests', 'integer', (c) => c.notNull().defaultTo(0))
      .execute();
  },
});
