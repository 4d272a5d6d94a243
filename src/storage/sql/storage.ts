import { type Kysely, Migrator, sql } from 'kysely';
import { ProcessError } from '../../errors/process-error.js';
import { announceWrites } from '../changes/announced-writes.js';
import { ChangeListeners } from '../changes/listeners.js';
import type { ChangeAnnouncer, ChangeTopic, ReplicaChangeNote, Storage, Stores } from '../ports.js';
import { accountStore } from './accounts.js';
import { actorDirectory } from './actor-directory.js';
import { adminTokenStore } from './admin-tokens.js';
import { auditStore } from './audit.js';
import { connectServerStore } from './connect-servers.js';
import { connectTokenStore } from './connect-tokens.js';
import { fileStore } from './files.js';
import { itemStore } from './items.js';
import { metaStore } from './meta.js';
import { accountPolicyStore, mfaChallengeStore, totpStore } from './mfa.js';
import { type DialectTypes, migrationProvider } from './migrations.js';
import { oauthStores } from './oauth/index.js';
import { passwordResetStore } from './password-resets.js';
import type { RunHeld, RunIfFree } from './precompiled.js';
import { nodeOutboxStore, replicaLogStore } from './replica-log.js';
import { signingKeyStore } from './signing-keys.js';
import type { Database } from './tables.js';
import { userStore } from './users.js';
import { vaultAccessStore } from './vault-access.js';
import { vaultStore } from './vaults.js';

/**
 * Publishes a change to the database's other processes, as a statement of the writing transaction
 * `db`: they learn of it if, and only if, it commits (postgres/change-feed.ts).
 */
export type PublishChange = (db: Kysely<Database>, topics: ReadonlySet<ChangeTopic>) => Promise<void>;

export interface StoreOptions {
  /**
   * Runs queries synchronously when the connection is free, or always (a `RunHeld`, for the
   * stores of a transaction holding the connection): precompiled.ts.
   */
  runIfFree?: RunIfFree | undefined;
  /** Absent: no other process uses the database, and `changes.announce` has nothing to do. */
  publishChange?: PublishChange | undefined;
}

export function stores(db: Kysely<Database>, { runIfFree, publishChange }: StoreOptions = {}): Stores {
  return {
    accounts: accountStore(db),
    users: userStore(db),
    passwordResets: passwordResetStore(db),
    adminTokens: adminTokenStore(db),
    vaults: vaultStore(db, runIfFree),
    vaultAccess: vaultAccessStore(db),
    items: itemStore(db, runIfFree),
    files: fileStore(db),
    audit: auditStore(db, runIfFree),
    actors: actorDirectory(db),
    meta: metaStore(db),
    signingKeys: signingKeyStore(db),
    connectServers: connectServerStore(db),
    connectTokens: connectTokenStore(db),
    totp: totpStore(db),
    accountPolicies: accountPolicyStore(db),
    mfaChallenges: mfaChallengeStore(db),
    replicaLog: replicaLogStore(db, runIfFree),
    nodeOutboxes: nodeOutboxStore(db),
    changes: changeAnnouncer(db, publishChange),
    ...oauthStores(db, runIfFree),
  };
}

/**
 * What `changes.announce` does in the statements of `db`: publish to the other processes. Within
 * `Storage.transaction` a unit's announcements are gathered and published once, as its last
 * statement (kyselyStorage); delivery in this process is kyselyStorage's too.
 */
function changeAnnouncer(db: Kysely<Database>, publish: PublishChange | undefined): ChangeAnnouncer {
  return { announce: publish ? (topics) => publish(db, topics) : async () => undefined };
}

/** Brings the schema up to date; a failed migration stops start-up with its name. */
export async function migrate(db: Kysely<Database>, types: DialectTypes): Promise<void> {
  const migrator = new Migrator({ db, provider: migrationProvider(types) });
  const { error, results } = await migrator.migrateToLatest();
  // Kysely refuses a database that ran a migration this build does not have: a newer Keyhold
  // migrated it (an upgrade rolled back, or an old node started beside upgraded ones).
  const newer = /previously executed migration (\S+) is missing/.exec(
    error instanceof Error ? error.message : '',
  );
  if (newer) {
    throw new ProcessError(
      'database_too_new',
      `the database was migrated by a newer Keyhold (migration ${newer[1]} is unknown to this version); start the newer version, or restore a backup made before the upgrade`,
    );
  }
  if (error) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
    throw new Error(
      `database migration ${failed} failed: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
}

/** What a backend may do its own way; each defaults to the plain Kysely form. */
export interface BackendStrategies {
  /** Runs queries synchronously when the connection is free (precompiled.ts). */
  runIfFree?: RunIfFree;
  /**
   * `Storage.transaction` over the stores of one database transaction; `runHeld` for stores whose
   * statements may run at once on a connection their transaction holds (precompiled.ts).
   */
  transaction?: (
    db: Kysely<Database>,
    storesOf: (db: Kysely<Database>, runHeld?: RunHeld) => Stores,
  ) => <T>(work: (tx: Stores) => Promise<T>) => Promise<T>;
  /** The audit store outside transactions (the events of secret reads). */
  audit?: (db: Kysely<Database>, store: Stores['audit']) => Stores['audit'];
  /**
   * How an announced change reaches the database's other processes. Absent when there are none
   * (SQLite: this process is the one writer), so changes are announced in this process only.
   */
  publishChange?: PublishChange;
  /**
   * This process's change listeners, when the backend delivers other processes' changes to
   * them too (postgres/change-feed.ts); a set of its own otherwise.
   */
  listeners?: ChangeListeners;
}

/**
 * The Storage of any Kysely dialect: the dialect-specific opener hands in a ready `db` and what
 * it does its own way. By default a transaction is a database transaction of its own (on a
 * pooled backend, its own connection: a failed unit never fails a neighbour), and an audit event
 * outside one is a single INSERT.
 *
 * Changes (ports/changes.ts): the announced writes (changes/announced-writes.ts) of a transaction
 * are gathered, published as its last statement when the backend has other processes to tell,
 * and delivered to this process's listeners once it has finished — either way: a unit that
 * failed may still have changed nothing, and a needless delivery only costs a re-read. An
 * announced write outside a transaction runs in one of its own when there is a publisher (the
 * announcement must commit with it), and as it is, delivered after, when there is none.
 */
export function kyselyStorage(db: Kysely<Database>, strategies: BackendStrategies = {}): Storage {
  const { publishChange } = strategies;
  const listeners = strategies.listeners ?? new ChangeListeners();
  const storesOf = (trx: Kysely<Database>, runHeld?: RunHeld) =>
    stores(trx, { runIfFree: runHeld, publishChange });
  const top = stores(db, { runIfFree: strategies.runIfFree, publishChange });
  const run: Storage['transaction'] = strategies.transaction
    ? strategies.transaction(db, storesOf)
    : (work) => db.transaction().execute((trx) => work(storesOf(trx)));

  const transaction: Storage['transaction'] = async (work) => {
    const announced = new Set<ChangeTopic>();
    const note = (topics: ReadonlySet<ChangeTopic>) => {
      for (const topic of topics) announced.add(topic);
    };
    try {
      return await run(async (tx) => {
        // This unit's replica changes (a group-committed unit has a savepoint of its own: one
        // that fails is rolled back with its changes, and its neighbours' stay).
        const replicated: ReplicaChangeNote[] = [];
        const unit = announceWrites(tx, async (write, topics, { change }) => {
          try {
            return await write();
          } finally {
            note(topics);
            if (change) replicated.push(change);
          }
        });
        // An announcement made in the unit is gathered with its writes', published below.
        const changes: ChangeAnnouncer = { announce: async (topics) => note(topics) };
        const result = await work(Object.assign(unit, { changes }));
        // The last statements, the replica log before the change counter (always this order, so
        // two writers never wait on each other's rows crosswise): the log's row, locked until
        // commit, numbers committed changes consecutively in commit order.
        if (replicated.length > 0) await tx.replicaLog.append(replicated, new Date().toISOString());
        if (announced.size > 0) await tx.changes.announce(announced);
        return result;
      });
    } finally {
      if (announced.size > 0) listeners.deliver(announced);
    }
  };

  // Outside a transaction, a write runs in one of its own when its announcement must commit with
  // it (a publisher) or it records a replica change (which must).
  const inOwnTransaction = (store: string, method: string, args: unknown[]) =>
    transaction((tx) => {
      const s = tx[store as keyof Stores] as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>;
      return (s[method] as (...a: unknown[]) => Promise<unknown>).apply(s, args);
    });
  const outside = announceWrites(top, async (write, topics, { store, method, args, change }) => {
    if (publishChange || change) return inOwnTransaction(store, method, args);
    try {
      return await write();
    } finally {
      listeners.deliver(topics);
    }
  });

  return {
    ...outside,
    audit: strategies.audit ? strategies.audit(db, top.audit) : top.audit,
    transaction,
    insertIssuedTokens: (tokens, events) =>
      transaction(async (tx) => {
        for (const token of tokens) await tx.oauthTokens.insert(token);
        for (const event of events) await tx.audit.append(event);
      }),
    // The caches and the pool are wrapped around this storage, and report themselves.
    stats: () => ({ caches: {} }),
    changes: {
      announce: publishChange
        ? (topics) => transaction((tx) => tx.changes.announce(topics))
        : async (topics) => listeners.deliver(topics),
      subscribe: (listener) => listeners.subscribe(listener),
    },
    ping: async () => {
      await sql`select 1`.execute(db);
    },
    close: () => db.destroy(),
  };
}
