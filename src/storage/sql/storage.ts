import { type Kysely, Migrator, sql } from 'kysely';
import type { Storage, Stores } from '../ports.js';
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
import type { RunIfFree } from './precompiled.js';
import { signingKeyStore } from './signing-keys.js';
import type { Database } from './tables.js';
import { userStore } from './users.js';
import { vaultAccessStore } from './vault-access.js';
import { vaultStore } from './vaults.js';

export function stores(db: Kysely<Database>, runIfFree?: RunIfFree): Stores {
  return {
    accounts: accountStore(db),
    users: userStore(db),
    passwordResets: passwordResetStore(db),
    adminTokens: adminTokenStore(db),
    vaults: vaultStore(db),
    vaultAccess: vaultAccessStore(db),
    items: itemStore(db, runIfFree),
    files: fileStore(db),
    audit: auditStore(db),
    actors: actorDirectory(db),
    meta: metaStore(db),
    signingKeys: signingKeyStore(db),
    connectServers: connectServerStore(db),
    connectTokens: connectTokenStore(db),
    totp: totpStore(db),
    accountPolicies: accountPolicyStore(db),
    mfaChallenges: mfaChallengeStore(db),
    ...oauthStores(db),
  };
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
    throw new Error(
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
  /** `Storage.transaction` over the stores of one database transaction. */
  transaction?: (
    db: Kysely<Database>,
    storesOf: (db: Kysely<Database>) => Stores,
  ) => <T>(work: (tx: Stores) => Promise<T>) => Promise<T>;
  /** The audit store outside transactions (the events of secret reads). */
  audit?: (db: Kysely<Database>, store: Stores['audit']) => Stores['audit'];
}

/**
 * The Storage of any Kysely dialect: the dialect-specific opener hands in a ready `db` and what
 * it does its own way. By default a transaction is a database transaction of its own (on a
 * pooled backend, its own connection: a failed unit never fails a neighbour), and an audit event
 * outside one is a single INSERT.
 */
export function kyselyStorage(db: Kysely<Database>, strategies: BackendStrategies = {}): Storage {
  const top = stores(db, strategies.runIfFree);
  return {
    ...top,
    audit: strategies.audit ? strategies.audit(db, top.audit) : top.audit,
    transaction: strategies.transaction
      ? strategies.transaction(db, stores)
      : (work) => db.transaction().execute((trx) => work(stores(trx))),
    ping: async () => {
      await sql`select 1`.execute(db);
    },
    close: () => db.destroy(),
  };
}
