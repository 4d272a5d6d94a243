/**
 * The permission vocabulary: what a caller may be allowed to do in a vault, through each kind of
 * credential. Storage persists these names; `decide` is the only place that interprets them.
 */

/** A user's permissions on a vault. `manage` implies read and write. */
export const VAULT_PERMISSIONS = ['read', 'write', 'manage'] as const;
export type VaultPermission = (typeof VAULT_PERMISSIONS)[number];

/** What a Connect token may be granted on a vault (seed: READ and WRITE, never manage). */
export const CONNECT_PERMISSIONS = ['read', 'write'] as const;
export type ConnectPermission = (typeof CONNECT_PERMISSIONS)[number];

/** What the vault API's OAuth scopes can grant. */
export type VaultApiPermission = 'read' | 'write';

/** The vault permissions an OAuth access token's scopes grant: on every vault, and per vault. */
export interface VaultScopeGrant {
  everyVault: ReadonlySet<VaultApiPermission>;
  perVault: ReadonlyMap<string, ReadonlySet<VaultApiPermission>>;
}

/**
 * One approved RFC 9396 `keyhold_vault` authorization detail, as `decide` reads it: what it allows
 * in the vaults it names, narrowed to the items it names (null: every item of those vaults), and
 * for reads to the field ids it names (null: every field; only ever set beside `items`).
 */
export interface VaultDetailGrant {
  vaults: ReadonlySet<string>;
  items: ReadonlySet<string> | null;
  fields: ReadonlySet<string> | null;
  actions: ReadonlySet<VaultApiPermission>;
}
