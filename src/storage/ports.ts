/**
 * The storage ports: one narrow interface per aggregate. Domain services depend on these only;
 * each backend (SQLite, PostgreSQL) implements all of them and must pass the contract
 * suite in `test/contract`. Storage never sees plaintext secrets: every `Buffer` here is sealed
 * by the domain before it arrives.
 *
 * Dates are RFC 3339 UTC strings; ids are 26-char [a-z0-9] strings. One file per area under
 * `ports/`; this file gathers them into `Stores` and `Storage`.
 */

import type { ActorDirectory, AuditEventInput, AuditStore } from './ports/audit.js';
import type { ChangeAnnouncer, ChangeFeed } from './ports/changes.js';
import type { ConnectServerStore, ConnectTokenStore, SigningKeyStore } from './ports/connect.js';
import type { FileStore, ItemStore } from './ports/items.js';
import type { MetaStore } from './ports/meta.js';
import type { AccountPolicyStore, MfaChallengeStore, TotpStore } from './ports/mfa.js';
import type { OAuthStores, OAuthTokenRecord } from './ports/oauth.js';
import type { AccountStore, AdminTokenStore, PasswordResetStore, UserStore } from './ports/people.js';
import type { NodeOutboxStore, ReplicaLogStore } from './ports/replica.js';
import type { StorageStats } from './ports/stats.js';
import type { VaultAccessStore, VaultStore } from './ports/vaults.js';

export * from './ports/audit.js';
export * from './ports/changes.js';
export * from './ports/connect.js';
export * from './ports/items.js';
export * from './ports/meta.js';
export * from './ports/mfa.js';
export * from './ports/oauth.js';
export * from './ports/people.js';
export * from './ports/replica.js';
export * from './ports/stats.js';
export * from './ports/vaults.js';

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
  /** The replica change log (ports/replica.ts). */
  readonly replicaLog: ReplicaLogStore;
  /** Where each Connect node's audit outbox was stored through (ports/replica.ts). */
  readonly nodeOutboxes: NodeOutboxStore;
  /** Announces changes to what processes keep in memory (ports/changes.ts). */
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
  /**
   * Inserts newly issued OAuth tokens and their audit events, for an issuance that writes nothing
   * else: all of them land, durably, before it resolves, or none does. A backend may commit them
   * with other writes of the moment and off the serving thread (the embedded one does, on its
   * audit writer thread: sqlite/open.ts).
   */
  insertIssuedTokens(tokens: readonly OAuthTokenRecord[], events: readonly AuditEventInput[]): Promise<void>;
  /** Answers once the database has answered a trivial query; rejects when it cannot be reached. */
  ping(): Promise<void>;
  /** Changes committed by every process using the database (ports/changes.ts). */
  readonly changes: ChangeFeed;
  /** Its caches and connection pool, read when metrics are scraped. */
  stats(): StorageStats;
  close(): Promise<void>;
}
