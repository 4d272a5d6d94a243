import { type Kysely, Migrator } from 'kysely';
import type { Storage, Stores } from '../ports.js';
import { accountStore } from './accounts.js';
import { actorDirectory } from './actor-directory.js';
import { adminTokenStore } from './admin-tokens.js';
import { auditStore, groupCommitAudit } from './audit.js';
import { connectServerStore } from './connect-servers.js';
import { connectTokenStore } from './connect-tokens.js';
import { fileStore } from './files.js';
import { groupCommitTransactions } from './group-commit.js';
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

function stores(db: Kysely<Database>, runIfFree?: RunIfFree): Stores {
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
  if (error) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
    throw new Error(
      `database migration ${failed} failed: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
}

/**
 * The Storage of any Kysely dialect: the dialect-specific opener hands in a ready `db`, and the
 * dialect's `runIfFree` if it has one (precompiled.ts).
 */
export function kyselyStorage(db: Kysely<Database>, runIfFree?: RunIfFree): Storage {
  const top = stores(db, runIfFree);
  return {
    ...top,
    // Outside transactions (secret reads), audit events share commits; inside, they are part of
    // the transaction's own commit already.
    audit: groupCommitAudit(db, top.audit),
    transaction: groupCommitTransactions(db, stores),
    close: () => db.destroy(),
  };
}
