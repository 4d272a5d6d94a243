import {
  type ColumnDefinitionBuilder,
  type Kysely,
  type Migration,
  type MigrationProvider,
  sql,
} from 'kysely';
import { ITEM_HEADS_PENDING } from '../ports.js';

/**
 * Versioned migrations, applied in order at start. They are written once for every dialect; the
 * few type names that differ come from `DialectTypes`. Never edit a released migration: add one.
 */
export interface DialectTypes {
  blob: 'blob' | 'bytea';
  /** An auto-incrementing 64-bit primary key column definition. */
  serialPrimaryKey: string;
}

const initial = (t: DialectTypes): Migration => ({
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

/** Connect servers, their vault sets and tokens, and the accounts' signing keys. */
const connect = (t: DialectTypes): Migration => ({
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

/**
 * The OAuth authorization server: the scope catalog, clients, grants, codes, tokens and login
 * sessions. Everything a user or client owns goes with it (cascade), so deleting a user, client
 * or grant ends its tokens in the same statement.
 */
const oauth = (t: DialectTypes): Migration => ({
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

/**
 * Every view of an item lists its files in upload order: an index in that order serves it
 * without sorting. It replaces the index on `item_id` alone, whose lookups it serves as well.
 */
const filesInOrder: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createIndex('files_item_created')
      .on('files')
      .columns(['item_id', 'created_at'])
      .execute();
    await db.schema.dropIndex('files_item').execute();
  },
};

/**
 * A read of an item opens one sealed value instead of two: from now on a version's `content`
 * holds its overview and details sealed together (layout 2), and `overview` repeats the overview
 * alone for lists. The versions already stored keep layout 1, where `content` (the former
 * `details` column) holds the details alone; both are read (domain/items/sealing.ts).
 */
const itemContentTogether: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema.alterTable('item_versions').renameColumn('details', 'content').execute();
    await db.schema
      .alterTable('item_versions')
      .addColumn('layout', 'integer', (c) => c.notNull().defaultTo(1))
      .execute();
  },
};

/**
 * Bounded audit growth: `count` lets one row stand for many refusals from one source (a summary,
 * domain/audit/refusal-summaries.ts), and retention deletes the oldest events of one result at a
 * time, which the (result, occurred_at) index finds without scanning the table.
 */
const auditRetention: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .alterTable('audit_events')
      .addColumn('count', 'integer', (c) => c.notNull().defaultTo(1))
      .execute();
    await db.schema
      .createIndex('audit_result_occurred')
      .on('audit_events')
      .columns(['result', 'occurred_at'])
      .execute();
  },
};

/**
 * The login throttle's counts, in the database so that an attempt is reserved atomically before
 * its password is checked and every node sees the same counts. Keys are SHA-256 hashes; rows
 * expire (`expires_at`, indexed for the purge). Times are epoch milliseconds: 64-bit.
 */
const loginAttempts = (t: DialectTypes): Migration => ({
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('login_attempts')
      .addColumn('key', t.blob, (c) => c.primaryKey())
      .addColumn('failures', 'integer', (c) => c.notNull())
      .addColumn('locked_until', 'bigint', (c) => c.notNull())
      .addColumn('expires_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('login_attempts_expires').on('login_attempts').column('expires_at').execute();
  },
});

/**
 * Item heads (domain/items/heads.ts): a MAC per item row over its current version and metadata,
 * a MAC per version over its metadata, and (in the sealed file metadata, no column) each file's
 * size and time. A migration has no key to compute them with, so the rows already stored get
 * theirs on the next start that has the master key (domain/items/upgrade-heads.ts), once: the
 * marker written here in the same step asks for it, and is removed in the same transaction that
 * writes them. A database without items needs no upgrade and gets no marker.
 */
const itemHeads = (t: DialectTypes): Migration => ({
  async up(db: Kysely<unknown>) {
    await db.schema.alterTable('items').addColumn('head', t.blob).execute();
    await db.schema.alterTable('item_versions').addColumn('mac', t.blob).execute();
    await sql`insert into meta (key, value) select ${ITEM_HEADS_PENDING}, '0008' where exists (select 1 from items)`.execute(
      db,
    );
  },
});

/**
 * One signing key per kind of token (RFC 8725 §3.12): Connect tokens and OAuth JWTs no longer
 * share a key. Every key made so far signed both, so each becomes a Connect key: Connect tokens
 * may live for years and must keep verifying. The OAuth JWT access tokens such a key signed end
 * within a day, so the key also records when the last access token the account issued while it
 * was current expires (`oauth_until`; opaque tokens count too, which only errs on the long side),
 * and stays in the OAuth JWKS until then. The account's first OAuth key is made at first use
 * (src/domain/connect/signing-keys.ts), since sealing one needs the master key, which migrations
 * never see. The partial unique index makes "one current key per account and kind" a property
 * of the table, so two nodes making that first key at once cannot both succeed.
 */
const signingKeyKinds: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .alterTable('signing_keys')
      .addColumn('kind', 'text', (c) => c.notNull().defaultTo('connect'))
      .execute();
    await db.schema.alterTable('signing_keys').addColumn('oauth_until', 'text').execute();
    await sql`
      update signing_keys set oauth_until = (
        select max(t.expires_at) from oauth_tokens t
        where t.account_id = signing_keys.account_id
          and t.kind = 'access'
          and (signing_keys.retired_at is null or t.created_at <= signing_keys.retired_at)
      )`.execute(db);
    await db.schema
      .createIndex('signing_keys_current')
      .on('signing_keys')
      .columns(['account_id', 'kind'])
      .unique()
      .where(sql.ref('retired_at'), 'is', null)
      .execute();
  },
};

export function migrationProvider(types: DialectTypes): MigrationProvider {
  return {
    async getMigrations() {
      return {
        '0001_initial': initial(types),
        '0002_connect': connect(types),
        '0003_oauth': oauth(types),
        '0004_files_in_order': filesInOrder,
        '0005_item_content_together': itemContentTogether,
        '0006_audit_retention': auditRetention,
        '0007_login_attempts': loginAttempts(types),
        '0008_item_heads': itemHeads(types),
        '0009_signing_key_kinds': signingKeyKinds,
      };
    },
  };
}
