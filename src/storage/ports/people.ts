/** Storage ports: Accounts, their people (users), password-reset links and admin tokens. */

import type { AdminTokenRole, Role as UserRole } from '../../domain/access/roles.js';

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
  /** The person's display name (trimmed, 1 to 200 characters); null when they have none. */
  name: string | null;
}

/** A user as created: enabled; without a name unless one is given. */
export type NewUserRecord = Omit<UserRecord, 'disabledAt' | 'name'> & { name?: string | null };

/** What `UserStore.update` may change; `updatedAt` always moves with it. */
export interface UserChanges {
  role?: UserRole;
  disabledAt?: string | null;
  passwordHash?: string;
  /** A new display name; null removes it. */
  name?: string | null;
  updatedAt: string;
}

export interface UserStore {
  insert(user: NewUserRecord): Promise<void>;
  /** The user; with `hold`, the row is held until the transaction ends (RowHold). */
  get(accountId: string, id: string, hold?: RowHold): Promise<UserRecord | undefined>;
  findByEmail(accountId: string, email: string): Promise<UserRecord | undefined>;
  /**
   * The users with this (normalized) email in every account, ordered by account id: the console
   * sign-in, when no account is named, tries the password in each. Never shown to a caller as is.
   */
  findInAllAccounts(email: string): Promise<UserRecord[]>;
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
