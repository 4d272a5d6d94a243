import type {
  ConnectServerRecord,
  ConnectTokenRecord,
  FileRecord,
  ItemRecord,
  ReplicaChangeNote,
  SigningKeyRecord,
  Stores,
} from '../ports.js';

/**
 * Every write method of a store that changes what a standalone Connect node may hold
 * (connect-server/wire/replica-protocol.ts), with the change it makes, from its arguments. These
 * record themselves in the replica change log as the last statements of their transaction
 * (sql/storage.ts), so no service has to remember to; a write method added to one of these stores
 * must be listed here or known as a read or an unreplicated write (test/unit/replicated-writes.test.ts).
 */
export const REPLICATED_WRITES = {
  accounts: {
    delete: (id: string) => ({ kind: 'account', accountId: id }),
  },
  items: {
    insert: (item: ItemRecord) => itemChange(item),
    update: (item: ItemRecord) => itemChange(item),
    delete: (vaultId: string, id: string) => ({ kind: 'item', vaultId, itemId: id, fill: 'vault' }),
    // A trashed item is gone for a node (item-gone); an undeleted one is sent again.
    trash: (vaultId: string, id: string) => ({ kind: 'item', vaultId, itemId: id, fill: 'vault' }),
    untrash: (vaultId: string, id: string) => ({ kind: 'item', vaultId, itemId: id, fill: 'vault' }),
    setHead: (itemId: string) => ({ kind: 'item', itemId, fill: 'item' }),
  },
  files: {
    insert: (file: FileRecord) => ({
      kind: 'item',
      vaultId: file.vaultId,
      itemId: file.itemId,
      fill: 'vault',
    }),
    delete: (itemId: string) => ({ kind: 'item', itemId, fill: 'item' }),
    setMeta: (id: string) => ({ kind: 'item', subjectId: id, fill: 'file' }),
  },
  vaults: {
    updateAttributes: (accountId: string, id: string) => ({ kind: 'vault', accountId, vaultId: id }),
    delete: (accountId: string, id: string) => ({ kind: 'vault', accountId, vaultId: id }),
  },
  connectServers: {
    insert: (server: ConnectServerRecord) => ({
      kind: 'server',
      accountId: server.accountId,
      serverId: server.id,
    }),
    addVault: (serverId: string) => ({ kind: 'server', serverId, fill: 'server' }),
    removeVault: (serverId: string) => ({ kind: 'server', serverId, fill: 'server' }),
    delete: (accountId: string, id: string) => ({ kind: 'server', accountId, serverId: id }),
    replaceCredentials: (accountId: string, id: string) => ({ kind: 'server', accountId, serverId: id }),
  },
  connectTokens: {
    insert: (token: ConnectTokenRecord) => ({
      kind: 'token',
      accountId: token.accountId,
      serverId: token.serverId,
      subjectId: token.id,
    }),
    revoke: (accountId: string, id: string) => ({ kind: 'token', accountId, subjectId: id, fill: 'token' }),
  },
  signingKeys: {
    insert: (key: SigningKeyRecord) => ({
      kind: 'signing-key',
      accountId: key.accountId,
      subjectId: key.kid,
    }),
    // The retired key's kid is not among the arguments: the node is sent every Connect key.
    retireCurrent: (accountId: string) => ({ kind: 'signing-key', accountId }),
    // A withdrawn key is sent as it is now (withdrawn), with the account's other Connect keys: a
    // node then refuses every token it signed.
    withdraw: (accountId: string, kid: string) => ({ kind: 'signing-key', accountId, subjectId: kid }),
  },
} as const satisfies {
  [S in keyof Stores]?: { [M in keyof Stores[S]]?: (...args: never[]) => ReplicaChangeNote };
};

function itemChange(item: ItemRecord): ReplicaChangeNote {
  return { kind: 'item', accountId: item.accountId, vaultId: item.vaultId, itemId: item.id };
}

export type ReplicatingStore = keyof typeof REPLICATED_WRITES;

/** The change a call makes, if its method is a replicated write. */
export function replicatedChange(
  store: string,
  method: string,
  args: unknown[],
): ReplicaChangeNote | undefined {
  const methods = (
    REPLICATED_WRITES as Record<string, Record<string, (...a: unknown[]) => ReplicaChangeNote>>
  )[store];
  const describe = methods?.[method];
  return describe ? describe(...args) : undefined;
}
