import { newId } from '../../crypto/ids.js';
import { conflict, notFound } from '../../errors/app-error.js';
import {
  type AccountRecord,
  type AdminTokenRecord,
  SIGNING_KEY_KINDS,
  type Storage,
  type Stores,
} from '../../storage/ports.js';
import { authorizeAccount } from '../access/authorize.js';
import { issueAdminToken, storeAdminToken } from '../admin-tokens/admin-token-service.js';
import { recordAudit } from '../audit/audit-log.js';
import type { SigningKeys } from '../connect/signing-keys.js';
import type { RequestContext } from '../context.js';
import { cliClientRecord } from '../oauth/cli-client.js';

export interface CreatedAccount extends AccountRecord {
  /** The account's first admin API token, an ordinary (revocable) owner token; shown once. */
  adminToken: string;
}

export interface AccountService {
  create(ctx: RequestContext, name: string): Promise<CreatedAccount>;
  list(ctx: RequestContext): Promise<AccountRecord[]>;
  delete(ctx: RequestContext, accountId: string): Promise<void>;
}

/**
 * What every new account is made of, written inside the caller's transaction: the account, its
 * first admin token, its built-in CLI client and one token-signing key per kind, each with its
 * audit event. `keyhold
 * init` and `POST /api/admin/accounts` both found accounts through here.
 */
export async function foundAccount(
  tx: Stores,
  signingKeys: SigningKeys,
  ctx: RequestContext,
  account: AccountRecord,
  adminToken: AdminTokenRecord,
): Promise<void> {
  await tx.accounts.insert(account);
  await recordAudit(tx.audit, ctx, {
    action: 'CREATE',
    resourceType: 'ACCOUNT',
    resourceId: account.id,
    result: 'SUCCESS',
  });
  await storeAdminToken(tx, ctx, adminToken);
  const cli = cliClientRecord(account.id, account.createdAt);
  await tx.clients.insert(cli);
  await recordAudit(tx.audit, ctx, {
    action: 'CREATE',
    resourceType: 'OAUTH_CLIENT',
    resourceId: cli.id,
    result: 'SUCCESS',
  });
  for (const kind of SIGNING_KEY_KINDS) await signingKeys.create(account.id, kind, tx, ctx);
}

export function accountService(storage: Storage, signingKeys: SigningKeys): AccountService {
  return {
    async create(ctx, name) {
      // The new account's first owner token never expires, so a caller that expires may not
      // make it (decide.ts: no token outlives the token that made it).
      await authorizeAccount(storage, ctx, 'accounts:manage', {
        expiresAt: null,
        denied: { action: 'CREATE' },
      });
      const account: AccountRecord = {
        id: newId(),
        name,
        createdAt: new Date().toISOString(),
        operator: false,
      };
      const token = issueAdminToken({
        accountId: account.id,
        name: 'initial owner token',
        role: 'owner',
        createdBy: ctx.actor.id,
      });
      await storage.transaction((tx) => foundAccount(tx, signingKeys, ctx, account, token.record));
      return { ...account, adminToken: token.secret };
    },

    async list(ctx) {
      await authorizeAccount(storage, ctx, 'accounts:manage', { denied: { action: 'READ' } });
      return storage.accounts.list();
    },

    async delete(ctx, accountId) {
      await authorizeAccount(storage, ctx, 'accounts:manage', {
        denied: { action: 'DELETE', resourceId: accountId },
      });
      if (accountId === ctx.actor.accountId) {
        throw conflict('refusing to delete the account of the token making the request', 'own_account');
      }
      await storage.transaction(async (tx) => {
        if (!(await tx.accounts.delete(accountId))) throw notFound(`account ${accountId} not found`);
        await recordAudit(tx.audit, ctx, {
          action: 'DELETE',
          resourceType: 'ACCOUNT',
          resourceId: accountId,
          result: 'SUCCESS',
        });
      });
      // Its keys, kept in memory by every node, go with the signing-keys change this announced.
    },
  };
}
