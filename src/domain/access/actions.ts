/**
 * Every action a caller can ask for, by resource. Vault actions are decided against a vault and
 * the caller's access to it; account actions against the caller's role. `decide` answers for
 * each; routes and services never decide on their own.
 */

/** On one vault: see it exists (its name and counts), read its items, change them, administer it. */
export const VAULT_ACTIONS = ['list', 'read', 'write', 'manage'] as const;
export type VaultAction = (typeof VAULT_ACTIONS)[number];

/** On the account and the things it holds besides vault content. */
export const ACCOUNT_ACTIONS = [
  /** Create, list and delete accounts: owners of the operator account only. */
  'accounts:manage',
  /** The account's own settings (its policies). */
  'account:read',
  'account:update',
  /** People: list and show; create, change role, disable, delete, reset, grant vault access. */
  'users:read',
  'users:write',
  'vaults:create',
  /** Connect servers and their tokens. */
  'connect:read',
  'connect:write',
  /** The OAuth registry: resource servers, clients, the scope catalog check. */
  'oauth:read',
  'oauth:write',
  /** Users' OAuth grants. */
  'grants:read',
  'grants:revoke',
  'audit:read',
  /** Token-signing keys. */
  'keys:read',
  'keys:rotate',
  'keys:withdraw',
  /** Admin API tokens. */
  'admin-tokens:read',
  'admin-tokens:write',
] as const;
export type AccountAction = (typeof ACCOUNT_ACTIONS)[number];
