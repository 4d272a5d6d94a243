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
import type { ChangeAnnouncer, ChangeFeed } from './change-ports.js';
import type { OAuthStores } from './oauth-ports.js';

export * from './change-ports.js';
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

/**
 * How a read inside a transaction holds the row it found, until the transaction ends, so that
 * what it decides from the row stays true while it writes:
 *
 * - `share`: nobody changes or deletes the row meanwhile; other `share` readers go on.
 * - `update`: as a write of the row would: other `update` and `share` readers of it wait too,
 *   so transactions that read the row this way to decide a write take turns.
 *
 * On PostgreSQL transactions run side by side (READ COMMITTED): without a hold, a row read to
 * decide a write may change under the transaction before it commits. On SQLite a transaction
 * holds the database's one write lock from start to end, so transactions already take turns and
 * a hold adds nothing. Outside a transaction a hold ends with the read.
 */
export type RowHold = 'share' | 'update';

export interface AccountStore {
  insert(account: NewAccount): Promise<void>;
  get(id: string): Promise<AccountRecord | undefined>;
  /**
   * Inside a transaction: waits for every other transaction that locked the account to end, then
   * keeps the account locked until this one ends (rows referring to it may still be written). A
   * transaction whose check spans several of the account's rows (that an enabled owner remains)
   * locks the account before it reads them, so that two such transactions, on two nodes, never
   * each decide from rows the other is changing. False when there is no such account.
   */
  lock(id: string): Promise<boolean>;
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
  /** When the user was disabled; null while enabled. A disabled user's credentials do nothing. */
  disabledAt: string | null;
}

/** A user as created: enabled. */
export type NewUserRecord = Omit<UserRecord, 'disabledAt'>;

/** What `UserStore.update` may change; `updatedAt` always moves with it. */
export interface UserChanges {
  role?: UserRole;
  disabledAt?: string | null;
  passwordHash?: string;
  updatedAt: string;
}

export interface UserStore {
  insert(user: NewUserRecord): Promise<void>;
  /** The user; with `hold`, the row is held until the transaction ends (RowHold). */
  get(accountId: string, id: string, hold?: RowHold): Promise<UserRecord | undefined>;
  findByEmail(accountId: string, email: string): Promise<UserRecord | undefined>;
  list(accountId: string): Promise<UserRecord[]>;
  /** Applies `changes` to the user; false when there is no such user in the account. */
  update(accountId: string, id: string, changes: UserChanges): Promise<boolean>;
  /** How many owners of the account are enabled (the last one may not be lost). */
  countEnabledOwners(accountId: string): Promise<number>;
  /** Deletes the user; its sessions, grants, codes, tokens, vault access and resets go with it. */
  delete(accountId: string, id: string): Promise<boolean>;
}

/** A one-time password-reset link an administrator created for a user. */
export interface PasswordResetRecord {
  id: string;
  /** SHA-256 of the link's secret. */
  secretHash: Buffer;
  accountId: string;
  userId: string;
  createdAt: string;
  expiresAt: string;
  /** Set once the link was used; it never works again. */
  usedAt: string | null;
}

export interface PasswordResetStore {
  /**
   * Stores the reset and deletes every older one of its user: only the newest link works, also
   * when several are stored at once (on several nodes): the last to commit is the one left.
   */
  replace(reset: PasswordResetRecord): Promise<void>;
  findByHash(secretHash: Buffer): Promise<PasswordResetRecord | undefined>;
  /** Marks an unused, unexpired reset used; false otherwise (of racing uses, one wins). */
  markUsed(id: string, at: string): Promise<boolean>;
  /**
   * Deletes the user's unused reset link, if any (the user is disabled or changed the password).
   * A used one stays: it opens nothing, and its reuse is told "already used".
   */
  deleteForUser(userId: string): Promise<number>;
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
  /**
   * Sets (replaces) a user's permissions on a vault; an empty list removes the access. Of several
   * sets at once, each applies whole and the last to commit stays.
   */
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
  'PASSWORD_RESET',
  /** A user's second factor (TOTP and recovery codes); the resource id is the user's. */
  'MFA',
  /** The pending second step of a sign-in whose password was right. */
  'MFA_CHALLENGE',
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

/**
 * What a reader of the trail narrows it to; every field given must match (AND). Times are RFC
 * 3339 UTC strings as `toISOString` writes them (the form `occurredAt` is stored in), so they
 * compare as text.
 */
export interface AuditFilter {
  actorId?: string;
  action?: AuditAction;
  result?: AuditResult;
  resourceType?: AuditResourceType;
  /** Matches an event whose `resourceId`, `vaultId` or `itemId` is this id. */
  resourceId?: string;
  /** Events that occurred at or after this time. */
  since?: string;
  /** Events that occurred before this time. */
  until?: string;
}

export interface AuditStore {
  append(event: AuditEventInput): Promise<void>;
  /**
   * Newest first, narrowed by the filter's fields; `beforeSeq` pages backwards. Each of the
   * common filters (actor, resource id, time range) is served by an index (migration 0014).
   */
  list(
    accountId: string,
    options: AuditFilter & { limit: number; beforeSeq?: number },
  ): Promise<AuditEvent[]>;
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
 * The names of whoever appears as an actor in an account's audit trail, looked up many ids at a
 * time (one query per kind of actor for a page of events). Only the account's own rows answer:
 * an id of another account is as absent as a deleted one. Ids not found are left out.
 */
export interface ActorDirectory {
  users(accountId: string, ids: readonly string[]): Promise<{ id: string; email: string }[]>;
  adminTokens(
    accountId: string,
    ids: readonly string[],
  ): Promise<{ id: string; name: string; role: string }[]>;
  /** With the name of the token's Connect server. */
  connectTokens(
    accountId: string,
    ids: readonly string[],
  ): Promise<{ id: string; name: string; serverName: string }[]>;
  oauthClients(accountId: string, ids: readonly string[]): Promise<{ id: string; name: string }[]>;
  /** OAuth tokens with the name of the client they were issued to. */
  oauthTokens(accountId: string, ids: readonly string[]): Promise<{ id: string; clientName: string }[]>;
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

/**
 * A user's TOTP second factor. `secret` is sealed under the master key with AAD naming account and
 * user (domain/mfa/totp-secret.ts). A row with `enabled` false is an enrolment not yet confirmed
 * with a code; it never counts at sign-in.
 */
export interface TotpRecord {
  userId: string;
  accountId: string;
  secret: Buffer;
  enabled: boolean;
  /** The last time-step a code was accepted for (-1 before the first); codes at or before it are refused. */
  lastStep: number;
  createdAt: string;
  enabledAt: string | null;
  /**
   * While pending: the one sign-in context the secret was shown to and that alone may confirm it
   * (domain/mfa/enrolment-owner.ts: a login session's or a pending second step's id, never a
   * cookie value). Null once enabled.
   */
  pendingFor: string | null;
}

export interface TotpStore {
  get(userId: string): Promise<TotpRecord | undefined>;
  /**
   * Stores a new, not yet enabled secret for the user, bound to `record.pendingFor`, replacing an
   * earlier unconfirmed one (whoever it was bound to). Returns false (nothing written) when the
   * user's TOTP is already enabled.
   */
  putPending(record: TotpRecord): Promise<boolean>;
  /**
   * Switches the pending secret on if it is still `secret`, still bound to `pendingFor` and not
   * enabled, in one statement (compare-and-set: of two confirmations, one wins; a secret replaced
   * or rebound meanwhile is not switched on), with `step` as its last accepted step, and replaces
   * the user's recovery codes with `recoveryCodeHashes`.
   */
  enable(
    userId: string,
    secret: Buffer,
    pendingFor: string,
    step: number,
    recoveryCodeHashes: Buffer[],
    at: string,
  ): Promise<boolean>;
  /**
   * Records `step` as accepted only if it is later than the last accepted one and the TOTP is
   * enabled, in one statement: of parallel submissions of one code, exactly one gets true.
   */
  acceptStep(userId: string, step: number): Promise<boolean>;
  /** Marks an unused recovery code used; true for exactly one of parallel uses of one code. */
  useRecoveryCode(userId: string, codeHash: Buffer, at: string): Promise<boolean>;
  unusedRecoveryCodes(userId: string): Promise<number>;
  /** Removes the user's TOTP and recovery codes; false when there was no TOTP row. */
  delete(userId: string): Promise<boolean>;
}

/** Account-wide sign-in policy; an account without a row has the defaults (MFA not required). */
export interface AccountPolicyRecord {
  accountId: string;
  requireMfa: boolean;
  updatedAt: string;
}

export interface AccountPolicyStore {
  get(accountId: string): Promise<AccountPolicyRecord | undefined>;
  put(policy: AccountPolicyRecord): Promise<void>;
}

export const MFA_CHALLENGE_PURPOSES = ['verify', 'enrol'] as const;
export type MfaChallengePurpose = (typeof MFA_CHALLENGE_PURPOSES)[number];

/**
 * A sign-in whose password was right and whose second step is pending: bound to the browser by
 * a cookie whose SHA-256 is `secretHash`, short-lived, and limited in attempts.
 */
export interface MfaChallengeRecord {
  id: string;
  secretHash: Buffer;
  accountId: string;
  userId: string;
  /** `verify`: a code is asked for; `enrol`: the account requires MFA and the user has none yet. */
  purpose: MfaChallengePurpose;
  csrfToken: string;
  attempts: number;
  createdAt: string;
  expiresAt: string;
}

export interface MfaChallengeStore {
  insert(challenge: MfaChallengeRecord): Promise<void>;
  findByHash(secretHash: Buffer): Promise<MfaChallengeRecord | undefined>;
  /** Counts one attempt if fewer than `max` were made, atomically; false when none is left. */
  countAttempt(id: string, max: number): Promise<boolean>;
  /** Deletes the challenge; true for exactly one of parallel deletions (the one that consumes it). */
  delete(id: string): Promise<boolean>;
  /** Deletes every pending sign-in of the user (the password changed, or the user was disabled). */
  deleteForUser(userId: string): Promise<number>;
  purgeExpired(before: string): Promise<number>;
}

export interface Stores extends OAuthStores {
  readonly accounts: AccountStore;
  readonly users: UserStore;
  readonly passwordResets: PasswordResetStore;
  readonly adminTokens: AdminTokenStore;
  readonly vaults: VaultStore;
  readonly vaultAccess: VaultAccessStore;
  readonly items: ItemStore;
  readonly files: FileStore;
  readonly audit: AuditStore;
  readonly actors: ActorDirectory;
  readonly meta: MetaStore;
  readonly signingKeys: SigningKeyStore;
  readonly connectServers: ConnectServerStore;
  readonly connectTokens: ConnectTokenStore;
  readonly totp: TotpStore;
  readonly accountPolicies: AccountPolicyStore;
  readonly mfaChallenges: MfaChallengeStore;
  /** Announces changes to what processes keep in memory (change-ports.ts). */
  readonly changes: ChangeAnnouncer;
}

/**
 * Storage narrowed for a service that writes in transactions: `K` the stores it uses outside a
 * transaction, `T` those its transactions use. Every `Storage` is one.
 */
export type Transactional<K extends keyof Stores, T extends keyof Stores = K> = Pick<Stores, K> & {
  transaction<R>(work: (tx: Pick<Stores, T>) => Promise<R>): Promise<R>;
};

export interface Storage extends Stores {
  /** Runs `work` atomically: every write in it lands, or none does. */
  transaction<T>(work: (tx: Stores) => Promise<T>): Promise<T>;
  /** Answers once the database has answered a trivial query; rejects when it cannot be reached. */
  ping(): Promise<void>;
  /** Changes committed by every process using the database (change-ports.ts). */
  readonly changes: ChangeFeed;
  close(): Promise<void>;
}
