import type { Kysely } from 'kysely';
import type { VaultPermission } from '../../domain/access/permissions.js';
import type { VaultAccessRecord, VaultAccessStore } from '../ports.js';
import type { Database } from './tables.js';

export function vaultAccessStore(db: Kysely<Database>): VaultAccessStore {
  const toRecord = (r: Database['vault_access']): VaultAccessRecord => ({
    vaultId: r.vault_id,
    userId: r.user_id,
    permissions: r.permissions.split(',').filter(Boolean) as VaultPermission[],
  });
  return {
    async set(a) {
      if (a.permissions.length === 0) {
        await db
          .deleteFrom('vault_access')
          .where('vault_id', '=', a.vaultId)
          .where('user_id', '=', a.userId)
          .execute();
        return;
      }
      // One statement: a delete then an insert would let two sets at once (on two nodes) both
      // find nothing to delete, and the second insert fail on the primary key.
      const permissions = a.permissions.join(',');
      await db
        .insertInto('vault_access')
        .values({ vault_id: a.vaultId, user_id: a.userId, permissions })
        .onConflict((oc) => oc.columns(['vault_id', 'user_id']).doUpdateSet({ permissions }))
        .execute();
    },
    async listForUser(userId) {
      const rows = await db.selectFrom('vault_access').selectAll().where('user_id', '=', userId).execute();
      return rows.map(toRecord);
    },
    async listForVault(vaultId) {
      const rows = await db.selectFrom('vault_access').selectAll().where('vault_id', '=', vaultId).execute();
      return rows.map(toRecord);
    },
  };
}
