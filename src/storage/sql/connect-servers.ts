import type { Kysely } from 'kysely';
import type { ConnectServerRecord, ConnectServerStore } from '../ports.js';
import { byteOrder, dialectOf } from './dialect.js';
import type { Database } from './tables.js';

export function connectServerStore(db: Kysely<Database>): ConnectServerStore {
  const dialect = dialectOf(db);
  const toRecord = (r: Database['connect_servers']): ConnectServerRecord => ({
    id: r.id,
    accountId: r.account_id,
    name: r.name,
    secretHash: r.secret_hash,
    createdAt: r.created_at,
    publicKey: r.public_key,
  });
  return {
    async insert(s, vaultIds) {
      await db
        .insertInto('connect_servers')
        .values({
          id: s.id,
          account_id: s.accountId,
          name: s.name,
          secret_hash: s.secretHash,
          created_at: s.createdAt,
          public_key: s.publicKey,
        })
        .execute();
      if (vaultIds.length > 0) {
        await db
          .insertInto('connect_server_vaults')
          .values(vaultIds.map((vaultId) => ({ server_id: s.id, vault_id: vaultId })))
          .execute();
      }
    },
    async get(accountId, id) {
      const row = await db
        .selectFrom('connect_servers')
        .selectAll()
        .where('account_id', '=', accountId)
        .where('id', '=', id)
        .executeTakeFirst();
      return row && toRecord(row);
    },
    async findById(id) {
      const row = await db.selectFrom('connect_servers').selectAll().where('id', '=', id).executeTakeFirst();
      return row && toRecord(row);
    },
    async findBySecretHash(secretHash) {
      const row = await db
        .selectFrom('connect_servers')
        .selectAll()
        .where('secret_hash', '=', secretHash)
        .executeTakeFirst();
      return row && toRecord(row);
    },
    async list(accountId) {
      const rows = await db
        .selectFrom('connect_servers')
        .selectAll()
        .where('account_id', '=', accountId)
        .orderBy('created_at')
        .execute();
      return rows.map(toRecord);
    },
    async vaults(serverId) {
      const rows = await db
        .selectFrom('connect_server_vaults')
        .select('vault_id')
        .where('server_id', '=', serverId)
        .orderBy(byteOrder(dialect, 'vault_id'))
        .execute();
      return rows.map((r) => r.vault_id);
    },
    async addVault(serverId, vaultId) {
      await db
        .insertInto('connect_server_vaults')
        .values({ server_id: serverId, vault_id: vaultId })
        .onConflict((oc) => oc.doNothing())
        .execute();
    },
    async removeVault(serverId, vaultId) {
      await db
        .deleteFrom('connect_server_vaults')
        .where('server_id', '=', serverId)
        .where('vault_id', '=', vaultId)
        .execute();
    },
    async delete(accountId, id) {
      const result = await db
        .deleteFrom('connect_servers')
        .where('account_id', '=', accountId)
        .where('id', '=', id)
        .executeTakeFirst();
      return result.numDeletedRows > 0n;
    },
    async replaceCredentials(accountId, id, secretHash, publicKey) {
      const result = await db
        .updateTable('connect_servers')
        .set({ secret_hash: secretHash, public_key: publicKey })
        .where('account_id', '=', accountId)
        .where('id', '=', id)
        .executeTakeFirst();
      return result.numUpdatedRows > 0n;
    },
  };
}
