import { ReplicaState } from '../../src/connect-server/central/replica-state.js';
import {
  type ReplicaRecord,
  replicaRecord,
  type VaultContent,
} from '../../src/connect-server/wire/replica-protocol.js';
import type { Keyring } from '../../src/crypto/keyring.js';
import { importServerPublicKey, type ServerPublicJwk } from '../../src/crypto/server-key.js';
import { itemHead } from '../../src/domain/items/heads.js';
import type { Storage } from '../../src/storage/ports.js';

/**
 * The replica records of what a Connect server may reach, built from a real central storage by
 * the central service's own `ReplicaState` (rows as stored, vault keys wrapped to the server's
 * public key). Every record is parsed with the wire schema, so a test never feeds the replica
 * what the stream could not carry. Only `staleItemRecord` (an old version, which the central
 * service never sends) is built here.
 */
export function replicaRecords(storage: Storage, keyring: Keyring, serverId: string) {
  const wire = (record: ReplicaRecord): ReplicaRecord => replicaRecord.parse(record);

  const server = async () => {
    const found = await storage.connectServers.findById(serverId);
    if (!found?.publicKey) throw new Error(`server ${serverId} has no public key`);
    return found;
  };

  const vaultContent = async (accountId: string, vaultId: string): Promise<VaultContent> => {
    const row = await storage.vaults.get(accountId, vaultId);
    if (!row) throw new Error(`vault ${vaultId} not found`);
    return { contentVersion: row.contentVersion, updatedAt: row.updatedAt };
  };

  // The central service's own record builders: what a test feeds the replica is what it is sent.
  const state = new ReplicaState(storage, keyring);

  const records = {
    serverRecord: async (vaults?: string[]): Promise<ReplicaRecord> => {
      const s = await server();
      return wire({
        type: 'server',
        server: state.serverState(s, vaults ?? (await storage.connectServers.vaults(s.id))),
      });
    },

    signingKeyRecords: async (): Promise<ReplicaRecord[]> => {
      const s = await server();
      return (await state.signingKeys(s.accountId)).map((key) => wire({ type: 'signing-key', key }));
    },

    tokenRecord: async (tokenId: string): Promise<ReplicaRecord> => {
      const t = await storage.connectTokens.get(tokenId);
      if (!t) throw new Error(`token ${tokenId} not found`);
      return wire({ type: 'token', token: state.tokenState(t) });
    },

    /** The vault, its key wrapped to the server's public key (or to `publicJwk`, another server's). */
    vaultRecord: async (vaultId: string, publicJwk?: ServerPublicJwk): Promise<ReplicaRecord> => {
      const s = await server();
      const key = publicJwk ? await importServerPublicKey(publicJwk) : await ReplicaState.publicKey(s);
      const vault = key && (await state.vault(s, key, vaultId));
      if (!vault) throw new Error(`vault ${vaultId} not found`);
      return wire({ type: 'vault', vault });
    },

    /** The item as it is now, with its files. */
    itemRecord: async (vaultId: string, itemId: string): Promise<ReplicaRecord> => {
      const s = await server();
      const record = await state.item(s.accountId, vaultId, itemId);
      if (record?.type !== 'item') throw new Error(`item ${itemId} not found`);
      return wire(record);
    },

    /**
     * An older version of the item, as a record sent before the item moved on would have carried
     * it: the version's sealed parts as stored, under a head the domain code makes for it.
     */
    staleItemRecord: async (vaultId: string, itemId: string, version: number): Promise<ReplicaRecord> => {
      const s = await server();
      const vault = await storage.vaults.find(s.accountId, vaultId);
      const row = await storage.items.get(vaultId, itemId, false);
      const old = await storage.items.getVersion(itemId, version);
      if (!vault || !row || !old) throw new Error(`item ${itemId} version ${version} not found`);
      const meta = {
        id: row.id,
        accountId: row.accountId,
        vaultId,
        version,
        createdAt: row.createdAt,
        updatedAt: old.createdAt,
        lastEditedBy: old.editedBy,
      };
      return wire({
        type: 'item',
        item: {
          ...meta,
          head: itemHead(keyring.macKey(vault), meta).toString('base64'),
          overview: old.overview.toString('base64'),
          content: old.content.toString('base64'),
          layout: old.layout,
          files: [],
        },
        vaultContent: { contentVersion: 1, updatedAt: row.createdAt },
      });
    },

    itemGone: async (vaultId: string, itemId: string): Promise<ReplicaRecord> => {
      const s = await server();
      return wire({
        type: 'item-gone',
        vaultId,
        itemId,
        vaultContent: await vaultContent(s.accountId, vaultId),
      });
    },

    /** The whole state, as a stream that starts with `reset` sends it, up to and with its mark. */
    fullState: async (epoch: string, seq: number, tokenIds: string[]): Promise<ReplicaRecord[]> => {
      const s = await server();
      const vaults = await storage.connectServers.vaults(s.id);
      const out: ReplicaRecord[] = [wire({ type: 'reset', epoch }), await records.serverRecord(vaults)];
      out.push(...(await records.signingKeyRecords()));
      for (const id of tokenIds) out.push(await records.tokenRecord(id));
      for (const vaultId of vaults) {
        out.push(await records.vaultRecord(vaultId));
        for (const item of await storage.items.list(vaultId))
          out.push(await records.itemRecord(vaultId, item.id));
      }
      out.push(wire({ type: 'mark', epoch, seq }));
      return out;
    },
  };
  return records;
}
