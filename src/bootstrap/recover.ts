import type { Config } from '../config/schema.js';
import { issueAdminToken, storeAdminToken } from '../domain/admin-tokens/admin-token-service.js';
import { systemContext } from '../domain/context.js';
import { ProcessError } from '../errors/process-error.js';
import { chooseBackend } from '../storage/choose-backend.js';
import { DataDirInUseError } from '../storage/sqlite/data-dir-lock.js';
import { openStore } from './store.js';

/** The `tokenId` of the audit event a recovery writes: what to search the trail for. */
export const RECOVERY_TOKEN_ID = 'keyhold-recover';

export interface Recovered {
  accountId: string;
  accountName: string;
  /** The new owner token's id, as `admin-token list` shows it. */
  tokenId: string;
  /** The new owner token; shown once. */
  adminToken: string;
}

/**
 * Break-glass: mints an owner admin token for the operator account (or `accountId`) straight
 * into the database, for when every owner token is lost or revoked. Only the host can do it:
 * the database is opened only once the master key opens its key check, so a copy of the
 * database without the key is refused.
 *
 * On SQLite it takes the data directory's lock like `keyhold serve` (data-dir-lock.ts): the
 * running service must be the database's only writer, so a recovery waits for it to be stopped.
 * On PostgreSQL it is one more writer among the nodes, which may keep running. The token and its
 * audit event (actor `system`, token id `keyhold-recover`) land in one transaction.
 */
export async function recoverAccess(
  config: Config,
  options: { accountId?: string } = {},
): Promise<Recovered> {
  const backend = chooseBackend(config);
  // Checked first, so a mistyped directory is not created by the lock.
  if ((await backend.inspect()).kind === 'nothing')
    throw new ProcessError(
      'command_failed',
      backend.kind === 'sqlite'
        ? `no Keyhold database in ${config.dataDir}; check --data-dir`
        : `no Keyhold database in ${backend.location}; check --database-url`,
    );
  let hold: ReturnType<typeof backend.hold>;
  try {
    hold = backend.hold();
  } catch (error) {
    if (error instanceof DataDirInUseError)
      throw new DataDirInUseError(
        `${config.dataDir} is in use by a running keyhold service; stop the service first (keyhold recover writes to the database, which only one process may do at a time), run keyhold recover, then start the service again`,
      );
    throw error;
  }
  try {
    const { storage } = await openStore(config, backend);
    try {
      const account =
        options.accountId === undefined
          ? (await storage.accounts.list()).find((a) => a.operator)
          : await storage.accounts.get(options.accountId);
      if (!account) {
        throw new ProcessError(
          'command_failed',
          options.accountId === undefined
            ? 'this database has no operator account; name the account with --account ID'
            : `no account ${options.accountId} in this database`,
        );
      }
      const ctx = systemContext(account.id, { tokenId: RECOVERY_TOKEN_ID, userAgent: 'keyhold recover' });
      const issued = issueAdminToken({
        accountId: account.id,
        name: `recovery owner token ${new Date().toISOString()}`,
        role: 'owner',
        createdBy: RECOVERY_TOKEN_ID,
      });
      await storage.transaction((tx) => storeAdminToken(tx, ctx, issued.record));
      return {
        accountId: account.id,
        accountName: account.name,
        tokenId: issued.record.id,
        adminToken: issued.secret,
      };
    } finally {
      await storage.close();
    }
  } finally {
    hold.release();
  }
}
