import type { Database } from './tables.js';

/** A table of the schema and the columns of its primary key (a stable order to read it in). */
export type TableKey = {
  [T in keyof Database]: { name: T; key: readonly (keyof Database[T] & string)[] };
}[keyof Database];

/**
 * Every table of `Database`, each after the tables its foreign keys reference: the order to copy
 * rows in (a backup, a restore) so that every reference finds its row. A table added to
 * `Database` and listed neither here nor in NODE_STATE_TABLES fails to compile (below); test/unit/backup-tables.test.ts checks
 * the order against the migrated schema's foreign keys.
 */
export const TABLES_IN_FOREIGN_KEY_ORDER = [
  { name: 'meta', key: ['key'] },
  { name: 'accounts', key: ['id'] },
  { name: 'users', key: ['id'] },
  { name: 'password_resets', key: ['id'] },
  { name: 'admin_tokens', key: ['id'] },
  { name: 'vaults', key: ['id'] },
  { name: 'vault_access', key: ['vault_id', 'user_id'] },
  { name: 'items', key: ['id'] },
  { name: 'item_versions', key: ['item_id', 'version'] },
  { name: 'files', key: ['id'] },
  { name: 'audit_events', key: ['seq'] },
  { name: 'signing_keys', key: ['kid'] },
  { name: 'connect_servers', key: ['id'] },
  { name: 'connect_server_vaults', key: ['server_id', 'vault_id'] },
  { name: 'connect_tokens', key: ['id'] },
  { name: 'connect_node_outboxes', key: ['server_id', 'outbox_id'] },
  { name: 'oauth_resource_servers', key: ['id'] },
  { name: 'oauth_scopes', key: ['account_id', 'name'] },
  { name: 'oauth_clients', key: ['id'] },
  { name: 'oauth_grants', key: ['id'] },
  { name: 'oauth_codes', key: ['id'] },
  { name: 'oauth_device_codes', key: ['id'] },
  { name: 'oauth_tokens', key: ['id'] },
  { name: 'login_attempts', key: ['key'] },
  { name: 'login_sessions', key: ['id'] },
  { name: 'user_totp', key: ['user_id'] },
  { name: 'user_recovery_codes', key: ['user_id', 'code_hash'] },
  { name: 'account_policies', key: ['account_id'] },
  { name: 'mfa_challenges', key: ['id'] },
  { name: 'oauth_used_jtis', key: ['key'] },
  { name: 'oauth_pushed_requests', key: ['id'] },
] as const satisfies readonly TableKey[];

/**
 * Tables that coordinate the running nodes rather than hold data: never copied. A restore's
 * migration makes them afresh (the change counter's one row; the replica log's, with a new epoch,
 * so every Connect node starts its replica over), and the nodes started on the restored database
 * begin from there.
 */
export const NODE_STATE_TABLES = [
  'change_counter',
  'replica_log',
  'replica_changes',
] as const satisfies readonly (keyof Database)[];

export type TableName = keyof Database;

/** Compiles only when `Missing` is empty: every table of `Database` is in the list above. */
type EveryTableListed<Missing extends never> = Missing;
export type Unlisted = EveryTableListed<
  Exclude<
    TableName,
    (typeof TABLES_IN_FOREIGN_KEY_ORDER)[number]['name'] | (typeof NODE_STATE_TABLES)[number]
  >
>;
