/** Storage ports: Vaults and the access people have to them. */

import type { VaultPermission } from '../../domain/access/permissions.js';

export const VAULT_TYPES = ['USER_CREATED', 'PERSONAL', 'EVERYONE', 'TRANSFER'] as const;
export type VaultType = (typeof VAULT_TYPES)[number];

export interface VaultRecord {
  id: string;
  accountId: string;
  /** The vault's data key, wrapped (sealed) by the master key. */
  wrappedKey: Buffer;
  /** Sealed `{name, description}`. */
  attributes: Buffer;
  type: VaultType;
  attributeVersion: number;
  contentVersion: number;
  createdAt: string;
  updatedAt: string;
}

/**
 * A vault without what moves with every write to its items (`contentVersion`, `updatedAt`): what
 * authorization and decryption need. Every node caches it (storage/cache/access-cache.ts) and
 * every change to it is announced (storage/changes/announced-writes.ts); an item write, which
 * only touches the content counters, announces nothing.
 */
export type VaultCore = Omit<VaultRecord, 'contentVersion' | 'updatedAt'>;

export interface VaultRow extends VaultRecord {
  itemCount: number;
}

export interface VaultStore {
  insert(vault: VaultRecord): Promise<void>;
  /** The vault's core: what authorization and decryption need, in O(1). */
  find(accountId: string, id: string): Promise<VaultCore | undefined>;
  /** The vault's content counters, in O(1) (what a Connect node is sent with each item change). */
  content(
    accountId: string,
    id: string,
  ): Promise<Pick<VaultRecord, 'contentVersion' | 'updatedAt'> | undefined>;
  /** The vault with its item count (counted, so O(items)): for vault views only. */
  get(accountId: string, id: string): Promise<VaultRow | undefined>;
  list(accountId: string): Promise<VaultRow[]>;
  /** Replaces attributes and bumps `attributeVersion`. */
  updateAttributes(accountId: string, id: string, attributes: Buffer, updatedAt: string): Promise<boolean>;
  /** Bumps `contentVersion` after any change to the vault's items or files (not part of the core). */
  touchContent(vaultId: string, updatedAt: string): Promise<void>;
  delete(accountId: string, id: string): Promise<boolean>;
}

export interface VaultAccessRecord {
  vaultId: string;
  userId: string;
  permissions: VaultPermission[];
}

export interface VaultAccessStore {
  /**
   * Sets (replaces) a user's permissions on a vault; an empty list removes the access. Of several
   * sets at once, each applies whole and the last to commit stays.
   */
  set(access: VaultAccessRecord): Promise<void>;
  listForUser(userId: string): Promise<VaultAccessRecord[]>;
  listForVault(vaultId: string): Promise<VaultAccessRecord[]>;
}
