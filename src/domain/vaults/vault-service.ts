import { aad, openJson, sealJson } from '../../crypto/envelope.js';
import { newId } from '../../crypto/ids.js';
import type { Keyring } from '../../crypto/keyring.js';
import { notFound } from '../../errors/app-error.js';
import type { Storage } from '../../storage/ports.js';
import { authorizeAccount, authorizeVault } from '../access/authorize.js';
import { recordAudit } from '../audit/audit-log.js';
import type { RequestContext } from '../context.js';
import { type VaultAttributes, type VaultView, vaultReads } from './vault-reads.js';

export type { VaultView };

export interface VaultService {
  create(ctx: RequestContext, input: VaultAttributes): Promise<VaultView>;
  list(ctx: RequestContext): Promise<VaultView[]>;
  get(ctx: RequestContext, vaultId: string): Promise<VaultView>;
  /** Renames a vault and/or changes its description (what is left out stays). */
  update(ctx: RequestContext, vaultId: string, change: Partial<VaultAttributes>): Promise<VaultView>;
  delete(ctx: RequestContext, vaultId: string): Promise<void>;
}

/** Vault names and descriptions are sealed under the vault's own data key, like its items. */
export function vaultService(storage: Storage, keyring: Keyring): VaultService {
  const reads = vaultReads(storage, keyring);
  const { view } = reads;

  return {
    async create(ctx, input) {
      await authorizeAccount(storage, ctx, 'vaults:create');
      const accountId = ctx.actor.accountId;
      const id = newId();
      const now = new Date().toISOString();
      const { key, wrapped } = keyring.newVaultKey(accountId, id);
      const attributes = sealJson(key, input, aad.vaultAttributes(accountId, id));
      await storage.transaction(async (tx) => {
        await tx.vaults.insert({
          id,
          accountId,
          wrappedKey: wrapped,
          attributes,
          type: 'USER_CREATED',
          attributeVersion: 1,
          contentVersion: 1,
          createdAt: now,
          updatedAt: now,
        });
        await recordAudit(tx.audit, ctx, {
          action: 'CREATE',
          resourceType: 'VAULT',
          vaultId: id,
          result: 'SUCCESS',
        });
      });
      const row = await storage.vaults.get(accountId, id);
      if (!row) throw notFound(`vault ${id} not found`);
      return view(row);
    },

    list: reads.list,
    get: reads.get,

    async update(ctx, vaultId, change) {
      await authorizeVault(storage, ctx, vaultId, 'manage');
      const accountId = ctx.actor.accountId;
      await storage.transaction(async (tx) => {
        const core = await tx.vaults.find(accountId, vaultId);
        if (!core) throw notFound(`vault ${vaultId} not found`);
        const key = keyring.vaultKey(core);
        const was = openJson<VaultAttributes>(
          key,
          core.attributes,
          aad.vaultAttributes(accountId, vaultId),
          `vault ${vaultId} attributes`,
        );
        const next: VaultAttributes = {
          name: change.name ?? was.name,
          description: change.description ?? was.description,
        };
        const attributes = sealJson(key, next, aad.vaultAttributes(accountId, vaultId));
        if (!(await tx.vaults.updateAttributes(accountId, vaultId, attributes, new Date().toISOString())))
          throw notFound(`vault ${vaultId} not found`);
        await recordAudit(tx.audit, ctx, {
          action: 'UPDATE',
          resourceType: 'VAULT',
          vaultId,
          result: 'SUCCESS',
        });
      });
      return reads.get(ctx, vaultId);
    },

    async delete(ctx, vaultId) {
      await authorizeVault(storage, ctx, vaultId, 'manage');
      await storage.transaction(async (tx) => {
        if (!(await tx.vaults.delete(ctx.actor.accountId, vaultId)))
          throw notFound(`vault ${vaultId} not found`);
        await recordAudit(tx.audit, ctx, {
          action: 'DELETE',
          resourceType: 'VAULT',
          vaultId,
          result: 'SUCCESS',
        });
      });
      keyring.forgetVault(vaultId);
    },
  };
}
