import { aad, openJson } from '../../crypto/envelope.js';
import type { VaultKeys } from '../../crypto/vault-keys.js';
import { notFound } from '../../errors/app-error.js';
import type { AuditStore, VaultRow, VaultStore } from '../../storage/ports.js';
import { authorizeVault } from '../access/authorize.js';
import { decide } from '../access/decide.js';
import type { RequestContext } from '../context.js';

/** The Connect vault shape. */
export interface VaultView {
  id: string;
  name: string;
  description: string;
  attributeVersion: number;
  contentVersion: number;
  items: number;
  type: string;
  createdAt: string;
  updatedAt: string;
}

export interface VaultAttributes {
  name: string;
  description: string;
}

/** What the vault reads use of the stores: the central storage or a node's replica. */
export interface VaultReadStores {
  vaults: Pick<VaultStore, 'find' | 'get' | 'list'>;
  audit: Pick<AuditStore, 'append'>;
}

export interface VaultReads {
  list(ctx: RequestContext): Promise<VaultView[]>;
  get(ctx: RequestContext, vaultId: string): Promise<VaultView>;
  /** A vault row as Connect shows it, its sealed name and description opened. */
  view(row: VaultRow): VaultView;
}

/** Vault names and descriptions are sealed under the vault's own data key, like its items. */
export function vaultReads(stores: VaultReadStores, keys: VaultKeys): VaultReads {
  const view = (v: VaultRow): VaultView => {
    const attrs = openJson<VaultAttributes>(
      keys.vaultKey(v),
      v.attributes,
      aad.vaultAttributes(v.accountId, v.id),
      `vault ${v.id} attributes`,
    );
    return {
      id: v.id,
      name: attrs.name,
      description: attrs.description,
      attributeVersion: v.attributeVersion,
      contentVersion: v.contentVersion,
      items: v.itemCount,
      type: v.type,
      createdAt: v.createdAt,
      updatedAt: v.updatedAt,
    };
  };

  return {
    view,
    async list(ctx) {
      const rows = await stores.vaults.list(ctx.actor.accountId);
      return rows.filter((v) => decide(ctx.principal, 'list', v).allow).map(view);
    },
    async get(ctx, vaultId) {
      // A vault's view is what the list shows of it: its name and counts, none of its items.
      await authorizeVault(stores, ctx, vaultId, 'list');
      const row = await stores.vaults.get(ctx.actor.accountId, vaultId);
      if (!row) throw notFound(`vault ${vaultId} not found`);
      return view(row);
    },
  };
}
