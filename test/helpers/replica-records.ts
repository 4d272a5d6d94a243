import {
  type ItemState,
  type ReplicaRecord,
  replicaRecord,
  type VaultContent,
} from '../../src/connect-server/wire/replica-protocol.js';
import type { Keyring } from '../../src/crypto/keyring.js';
import { importServerPublicKey, type ServerPublicJwk, wrapVaultKey } from '../../src/crypto/server-key.js';
import { itemHead } from '../../src/domain/items/heads.js';
import type { Storage } from '../../src/storage/ports.js';

/**
 * The replica records of what a Connect server may reach, built from a real central storage the
 * way the central service sends them: rows as stored (sealed by the domain code that wrote them),
 * vault keys wrapped to the server's public key with `wrapVaultKey`. Every record is parsed with
 * the wire schema, so a test never feeds the replica what the stream could not carry.
 */
export function replicaRecords(storage: Storage, keyring: Keyring, serverId: string) {
  const wire = (record: ReplicaRecord): ReplicaRecord => replicaRecord.parse(record);
  const b64 = (b: Buffer | null) => (b === null ? null : b.toString('base64'));

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

  const records = {
    serverRecord: async (vaults?: string[]): Promise<ReplicaRecord> => {
      const s = await server();
      return wire({
        type: 'server',
        server: {
          id: s.id,
          accountId: s.accountId,
          vaults: vaults ?? (await storage.connectServers.vaults(s.id)),
        },
      });
    },

    signingKeyRecords: async (): Promise<ReplicaRecord[]> => {
      const s = await server();
      const keys = await storage.signingKeys.list(s.accountId);
      return keys
        .filter((k) => k.kind === 'connect')
        .map((k) =>
          wire({
            type: 'signing-key',
            key: {
              kid: k.kid,
              accountId: k.accountId,
              kind: 'connect',
              publicJwk: k.publicJwk,
              createdAt: k.createdAt,
              retiredAt: k.retiredAt,
            },
          }),
        );
    },

    tokenRecord: async (tokenId: string): Promise<ReplicaRecord> => {
      const t = await storage.connectTokens.get(tokenId);
      if (!t) throw new Error(`token ${tokenId} not found`);
      return wire({
        type: 'token',
        token: {
          id: t.id,
          accountId: t.accountId,
          serverId: t.serverId,
          grants: t.grants,
          signatureHash: t.signatureHash.toString('base64'),
          createdAt: t.createdAt,
          expiresAt: t.expiresAt,
          revokedAt: t.revokedAt,
        },
      });
    },

    vaultRecord: async (vaultId: string, publicJwk?: ServerPublicJwk): Promise<ReplicaRecord> => {
      const s = await server();
      const v = await storage.vaults.get(s.accountId, vaultId);
      if (!v) throw new Error(`vault ${vaultId} not found`);
      const publicKey = await importServerPublicKey(
        publicJwk ?? (JSON.parse(s.publicKey as string) as ServerPublicJwk),
      );
      return wire({
        type: 'vault',
        vault: {
          id: v.id,
          accountId: v.accountId,
          type: v.type,
          attributes: v.attributes.toString('base64'),
          attributeVersion: v.attributeVersion,
          contentVersion: v.contentVersion,
          createdAt: v.createdAt,
          updatedAt: v.updatedAt,
          key: await wrapVaultKey(publicKey, v, keyring.vaultKey(v)),
        },
      });
    },

    /** The item as it is now, with its files. */
    itemRecord: async (vaultId: string, itemId: string): Promise<ReplicaRecord> => {
      const found = await storage.items.getWithFiles(vaultId, itemId);
      if (!found) throw new Error(`item ${itemId} not found`);
      const { item, files } = found;
      const state: ItemState = {
        id: item.id,
        vaultId: item.vaultId,
        accountId: item.accountId,
        version: item.version,
        createdAt: item.createdAt,
        updatedAt: item.updatedAt,
        lastEditedBy: item.lastEditedBy,
        head: b64(item.head),
        overview: item.overview.toString('base64'),
        content: (item.content as Buffer).toString('base64'),
        layout: item.layout,
        files: await Promise.all(
          files.map(async (f) => ({
            id: f.id,
            itemId: f.itemId,
            vaultId: f.vaultId,
            meta: f.meta.toString('base64'),
            size: f.size,
            createdAt: f.createdAt,
            content: ((await storage.files.content(f.itemId, f.id)) as Buffer).toString('base64'),
          })),
        ),
      };
      return wire({ type: 'item', item: state, vaultContent: await vaultContent(item.accountId, vaultId) });
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
