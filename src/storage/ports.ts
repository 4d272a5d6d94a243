/**
 * The storage ports: one narrow interface per aggregate. Domain services depend on these only;
 * each backend (SQLite today, PostgreSQL next) implements all of them and must pass the contract
 * suite in `test/contract`. Storage never sees plaintext secrets: every `Buffer` here is sealed
 * by the domain before it arrives.
 *
 * Dates are RFC 3339 UTC strings; ids are 26-char [a-z0-9] strings.
 */

import type { ConnectPermission, VaultPermission } from '../domain/access/permissions.js';
import type { AdminTokenRole, Role as UserRole } from '../domain/access/roles.js';
import type { OAuthStores } from './oauth-ports.js';

export * from './oauth-ports.js';

export interface AccountRecord {
  id: string;
  name: string;
  createdAt: string;
  /**
   * The operator account: the one `keyhold init` founded. Its owners (tokens and people) may
   * manage other accounts, and `keyhold recover` mints its tokens by default.
   */
  operator: boolean;
}

/** A new account: not the operator account unless it says so. */
export type NewAccount = Omit<AccountRecord, 'operator'> & { operator?: boolean };

export interface AccountStore {
  insert(account: NewAccount): Promise<void>;
  get(id: string): Promise<AccountRecord | undefined>;
  list(): Promise<AccountRecord[]>;
  /** Deletes the account and, by cascade, everything it owns. Returns false if it did not exist. */
  delete(id: string): Promise<boolean>;
}

export interface UserRecord {
  id: string;
  accountId: string;
  /** Lower-cased; unique within the account. */
  email: string;
  passwordHash: string;
  role: UserRole;
  createdAt: string;
  updatedAt: string;
}

export interface UserStore {
  insert(user: UserRecord): Promise<void>;
  get(accountId: string, id: string): Promise<UserRecord | undefined>;
  findByEmail(accountId: string, email: string): Promise<UserRecord | undefined>;
  list(accountId: string): Promise<UserRecord[]>;
  delete(accountId: string, id: string): Promise<boolean>;
}

export interface AdminTokenRecord {
  id: string;
  accountId: string;
  name: string;
  /** SHA-256 of the bearer secret. */
  tokenHash: Buffer;
  role: AdminTokenRole;
  createdAt: string;
  /** Null: never expires. */
  expiresAt: string | null;
  /** Null while live. A revoked token's row stays, so it is listed and recognised as revoked. */
  revokedAt: string | null;
  /** The id of the actor that made it (an admin token, a user, `system`); null before 0010. */
  createdBy: string | null;
}

export interface AdminTokenStore {
  insert(token: AdminTokenRecord): Promise<void>;
  /** The token, live or not, whose secret hashes to this. */
  findByHash(tokenHash: Buffer): Promise<AdminTokenRecord | undefined>;
  get(accountId: string, id: string): Promise<AdminTokenRecord | undefined>;
  /** Every token of the account, revoked and expired ones included, oldest first. */
  list(accountId: string): Promise<AdminTokenRecord[]>;
  /** Marks the token revoked; false when it does not exist in the account or was revoked already. */
  revoke(accountId: string, id: string, at: string): Promise<boolean>;
}

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

export interface VaultRow extends VaultRecord {
  itemCount: number;
}

export interface VaultStore {
  insert(vault: VaultRecord): Promise<void>;
  /** The vault without its item count: what authorization and decryption need, in O(1). */
  find(accountId: string, id: string): Promise<VaultRecord | undefined>;
  /** The vault with its item count (counted, so O(items)): for vault views only. */
  get(accountId: string, id: string): Promise<VaultRow | undefined>;
  list(accountId: string): Promise<VaultRow[]>;
  /** Replaces attributes and bumps `attributeVersion`. */
  updateAttributes(accountId: string, id: string, attributes: Buffer, updatedAt: string): Promise<boolean>;
  /** Bumps `contentVersion` after any change to the vault's items or files. */
  touchContent(vaultId: string, updatedAt: string): Promise<void>;
  delete(accountId: string, id: string): Promise<boolean>;
}

export interface VaultAccessRecord {
  vaultId: string;
  userId: string;
  permissions: VaultPermission[];
}

export interface VaultAccessStore {
  /** Sets (replaces) a user's permissions on a vault; an empty list removes the access. */
  set(access: VaultAccessRecord): Promise<void>;
  listForUser(userId: string): Promise<VaultAccessRecord[]>;
  listForVault(vaultId: string): Promise<VaultAccessRecord[]>;
}

/**
 * One version of an item, sealed and bound by AAD to this exact version: the overview alone (what
 * lists open) and the content, whose shape `layout` names (domain/items/sealing.ts).
 */
export interface ItemVersionRecord {
  itemId: string;
  version: number;
  overview: Buffer;
  content: Buffer;
  layout: number;
  createdAt: string;
  editedBy: string;
  /** MAC of the version's metadata (domain/items/heads.ts); null only before the upgrade wrote it. */
  mac: Buffer | null;
}

export interface ItemRecord {
  id: string;
  vaultId: string;
  accountId: string;
  version: number;
  createdAt: string;
  updatedAt: string;
  lastEditedBy: string;
  /**
   * MAC of the current version and the metadata above (domain/items/heads.ts); null only for a
   * row stored before heads existed that the upgrade has not reached yet.
   */
  head: Buffer | null;
}

/** An item with its current version's sealed overview and layout (and content when asked for). */
export interface ItemRow extends ItemRecord {
  /** Whether a version after `version` is stored: never, unless the row was pointed back. */
  hasLaterVersion: boolean;
  overview: Buffer;
  content?: Buffer;
  layout: number;
}

export interface ItemStore {
  /** Inserts the item and its version 1. */
  insert(item: ItemRecord, first: ItemVersionRecord): Promise<void>;
  get(vaultId: string, id: string, withContent: boolean): Promise<ItemRow | undefined>;
  /**
   * What a view of the item needs, in one read: the current version with content, and the
   * records of the item's files in upload order.
   */
  getWithFiles(vaultId: string, id: string): Promise<{ item: ItemRow; files: FileRecord[] } | undefined>;
  /** Current versions' overviews of every item in the vault. */
  list(vaultId: string): Promise<ItemRow[]>;
  /**
   * Moves the item to `next.version` only if it is still at `expectedVersion` (optimistic
   * concurrency). Returns false when another writer got there first.
   */
  update(item: ItemRecord, expectedVersion: number, next: ItemVersionRecord): Promise<boolean>;
  delete(vaultId: string, id: string): Promise<boolean>;
  versions(itemId: string): Promise<ItemVersionRecord[]>;
  getVersion(itemId: string, version: number): Promise<ItemVersionRecord | undefined>;
  /** Items without a head, each with the highest version stored for it (for the upgrade). */
  withoutHeads(): Promise<(ItemRecord & { latestVersion: number })[]>;
  setHead(itemId: string, head: Buffer): Promise<void>;
  /** Versions without a MAC, with the place of their item (for the upgrade). */
  versionsWithoutMacs(): Promise<(ItemVersionRecord & { accountId: string; vaultId: string })[]>;
  setVersionMac(itemId: string, version: number, mac: Buffer): Promise<void>;
}

export interface FileRecord {
  id: string;
  itemId: string;
  vaultId: string;
  /**
   * Sealed `{name, sectionId, size, createdAt}`; the sealed size and time must equal the columns
   * (files stored before migration 0008 sealed only the name and section until the upgrade).
   */
  meta: Buffer;
  size: number;
  createdAt: string;
}

export interface FileStore {
  insert(file: FileRecord, content: Buffer): Promise<void>;
  list(itemId: string): Promise<FileRecord[]>;
  get(itemId: string, id: string): Promise<FileRecord | undefined>;
  /** The sealed content. */
  content(itemId: string, id: string): Promise<Buffer | undefined>;
  delete(itemId: string, id: string): Promise<boolean>;
  /** Every file (without content) with its vault's account, for the upgrade. */
  all(): Promise<(FileRecord & { accountId: string })[]>;
  setMeta(id: string, meta: Buffer): Promise<void>;
}

export const AUDIT_ACTIONS = ['READ', 'CREATE', 'UPDATE', 'DELETE'] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];
/**
 * `DENY`: refused for lack of permission. `FAILURE`: a permitted write that was not done (its
 * input was invalid, the item was missing or had changed); the event names what was attempted.
 */
export const AUDIT_RESULTS = ['SUCCESS', 'DENY', 'FAILURE'] as const;
export type AuditResult = (typeof AUDIT_RESULTS)[number];
export const AUDIT_RESOURCE_TYPES = [
  'ACCOUNT',
  'USER',
  'TOKEN',
  'SERVER',
  'SIGNING_KEY',
  'VAULT',
  'ITEM',
  'FILE',
  'RESOURCE_SERVER',
  'OAUTH_CLIENT',
  'OAUTH_GRANT',
  'OAUTH_TOKEN',
  'LOGIN_SESSION',
] as const;
export type AuditResourceType = (typeof AUDIT_RESOURCE_TYPES)[number];

/** An audit event. Never holds a secret value: only ids, verbs and request facts. */
export interface AuditEventInput {
  occurredAt: string;
  accountId: string | null;
  actorType: string;
  actorId: string;
  tokenId: string | null;
  action: AuditAction;
  resourceType: AuditResourceType;
  resourceId: string | null;
  vaultId: string | null;
  itemId: string | null;
  itemVersion: number | null;
  result: AuditResult;
  requestId: string | null;
  ip: string | null;
  userAgent: string | null;
  /**
   * How many requests the event stands for: 1 (the default) for an event of its own, more for a
   * summary of refusals from one source that were counted instead of written one by one.
   */
  count?: number;
}

export interface AuditEvent extends AuditEventInput {
  /** Monotonic sequence number, assigned on append. */
  seq: number;
  count: number;
}

export interface AuditStore {
  append(event: AuditEventInput): Promise<void>;
  /** Newest first; `beforeSeq` pages backwards. */
  list(accountId: string, options: { limit: number; beforeSeq?: number }): Promise<AuditEvent[]>;
  /** Events made with any of these tokens, newest first, with the total for paging. */
  listByTokens(
    accountId: string,
    tokenIds: string[],
    options: { limit: number; offset: number },
  ): Promise<{ events: AuditEvent[]; total: number }>;
  /**
   * Deletes up to `limit` events with this `result` that occurred before `before`, oldest first,
   * in one short write; answers how many it deleted (fewer than `limit`: none such are left).
   * Retention calls it in batches, so no call holds the write lock for long.
   */
  prune(result: AuditResult, before: string, limit: number): Promise<number>;
}

/**
 * What a signing key signs (RFC 8725 §3.12: one key per kind of token). A verifier accepts a
 * token only from a key of its own kind, so a valid signature of one kind never passes for the
 * other.
 */
export const SIGNING_KEY_KINDS = ['connect', 'oauth'] as const;
export type SigningKeyKind = (typeof SIGNING_KEY_KINDS)[number];

/** An account's ES256 signing key. The private JWK is sealed under the master key. */
export interface SigningKeyRecord {
  kid: string;
  accountId: string;
  kind: SigningKeyKind;
  /** Public JWK as JSON text; published in the JWKS of its kind. */
  publicJwk: string;
  privateKey: Buffer;
  createdAt: string;
  /** Set when a newer key of its kind took over signing; a retired key still verifies its tokens. */
  retiredAt: string | null;
  /**
   * Only on keys made before kinds were separated (migration 0009), which signed OAuth JWT
   * access tokens as well: the expiry of the last of those, until which the key stays in the
   * OAuth JWKS too. Null on every key made since.
   */
  oauthUntil: string | null;
}

export interface SigningKeyStore {
  insert(key: SigningKeyRecord): Promise<void>;
  get(kid: string): Promise<SigningKeyRecord | undefined>;
  /** The account's signing key of this kind, if it has one. */
  current(accountId: string, kind: SigningKeyKind): Promise<SigningKeyRecord | undefined>;
  /** Every kind, newest first. */
  list(accountId: string): Promise<SigningKeyRecord[]>;
  /** Retires the current key of this kind (if any); keys of the other kind are left alone. */
  retireCurrent(accountId: string, kind: SigningKeyKind, at: string): Promise<void>;
}

export interface ConnectServerRecord {
  id: string;
  accountId: string;
  name: string;
  /** SHA-256 of the server secret held in its credentials file. */
  secretHash: Buffer;
  createdAt: string;
}

export interface ConnectServerStore {
  insert(server: ConnectServerRecord, vaultIds: string[]): Promise<void>;
  get(accountId: string, id: string): Promise<ConnectServerRecord | undefined>;
  findById(id: string): Promise<ConnectServerRecord | undefined>;
  findBySecretHash(secretHash: Buffer): Promise<ConnectServerRecord | undefined>;
  list(accountId: string): Promise<ConnectServerRecord[]>;
  vaults(serverId: string): Promise<string[]>;
  addVault(serverId: string, vaultId: string): Promise<void>;
  removeVault(serverId: string, vaultId: string): Promise<void>;
  delete(accountId: string, id: string): Promise<boolean>;
}

export interface ConnectGrant {
  vaultId: string;
  permissions: ConnectPermission[];
}

export interface ConnectTokenRecord {
  /** The token's `jti`. */
  id: string;
  accountId: string;
  serverId: string;
  name: string;
  grants: ConnectGrant[];
  /** SHA-256 of the JWT's signature: the token itself is never stored. */
  signatureHash: Buffer;
  createdAt: string;
  expiresAt: string | null;
  revokedAt: string | null;
}

export interface ConnectTokenStore {
  insert(token: ConnectTokenRecord): Promise<void>;
  get(id: string): Promise<ConnectTokenRecord | undefined>;
  list(serverId: string): Promise<ConnectTokenRecord[]>;
  revoke(accountId: string, id: string, at: string): Promise<boolean>;
}

/** The `meta` key of an upgrade to item heads that a start with the master key has yet to do. */
export const ITEM_HEADS_PENDING = 'item_heads_pending';

export interface MetaStore {
  get(key: string): Promise<string | undefined>;
  insert(key: string, value: string): Promise<void>;
  delete(key: string): Promise<void>;
}

export interface Stores extends OAuthStores {
  readonly accounts: AccountStore;
  readonly users: UserStore;
  readonly adminTokens: AdminTokenStore;
  readonly vaults: VaultStore;
  readonly vaultAccess: VaultAccessStore;
  readonly items: ItemStore;
  readonly files: FileStore;
  readonly audit: AuditStore;
  readonly meta: MetaStore;
  readonly signingKeys: SigningKeyStore;
  readonly connectServers: ConnectServerStore;
  readonly connectTokens: ConnectTokenStore;
}

export interface Storage extends Stores {
  /** Runs `work` atomically: every write in it lands, or none does. */
  transaction<T>(work: (tx: Stores) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}
