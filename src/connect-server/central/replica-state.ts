import type { Keyring } from '../../crypto/keyring.js';
import { importServerPublicKey, type ServerPublicJwk, wrapVaultKey } from '../../crypto/server-key.js';
import type { ConnectServerRecord, ConnectTokenRecord, Stores } from '../../storage/ports.js';
import type {
  FileState,
  ReplicaRecord,
  ServerState,
  SigningKeyState,
  TokenState,
  VaultContent,
  VaultState,
} from '../wire/replica-protocol.js';

/** A server's public key, as jose imports it. */
export type ServerKey = Awaited<ReturnType<typeof importServerPublicKey>>;

export type ReplicaStores = Pick<
  Stores,
  'vaults' | 'items' | 'files' | 'connectServers' | 'connectTokens' | 'signingKeys' | 'replicaLog'
>;

type ItemRecordOut = Extract<ReplicaRecord, { type: 'item' | 'item-gone' }>;

/**
 * The protocol's records (connect-server/wire/replica-protocol.ts) of one server, read from
 * storage as they are now. Nothing here reads a vault the server does not reach: callers name
 * only vaults of the server's current set, and each reader checks the vault's account.
 */
export class ReplicaState {
  readonly #stores: ReplicaStores;
  readonly #keyring: Keyring;

  constructor(stores: ReplicaStores, keyring: Keyring) {
    this.#stores = stores;
    this.#keyring = keyring;
  }

  /** The server's public key, or undefined for a server made before its nodes kept replicas. */
  static async publicKey(server: ConnectServerRecord): Promise<ServerKey | undefined> {
    if (!server.publicKey) return undefined;
    return importServerPublicKey(JSON.parse(server.publicKey) as ServerPublicJwk);
  }

  serverState(server: ConnectServerRecord, vaults: readonly string[]): ServerState {
    return { id: server.id, accountId: server.accountId, vaults: [...vaults] };
  }

  async signingKeys(accountId: string): Promise<SigningKeyState[]> {
    const keys = await this.#stores.signingKeys.list(accountId);
    return keys
      .filter((k) => k.kind === 'connect')
      .map((k) => ({
        kid: k.kid,
        accountId: k.accountId,
        kind: 'connect',
        publicJwk: k.publicJwk,
        createdAt: k.createdAt,
        retiredAt: k.retiredAt,
        // Sent only once set: a node from before withdrawal existed parses its records strictly,
        // and keeps syncing as long as no key of its account is withdrawn.
        ...(k.withdrawnAt === null ? {} : { withdrawnAt: k.withdrawnAt }),
      }));
  }

  tokenState(t: ConnectTokenRecord): TokenState {
    return {
      id: t.id,
      accountId: t.accountId,
      serverId: t.serverId,
      grants: t.grants.map((g) => ({ vaultId: g.vaultId, permissions: [...g.permissions] })),
      signatureHash: t.signatureHash.toString('base64'),
      createdAt: t.createdAt,
      expiresAt: t.expiresAt,
      revokedAt: t.revokedAt,
    };
  }

  /** The server's token, if it is one of this server's. */
  async token(server: ConnectServerRecord, tokenId: string): Promise<TokenState | undefined> {
    const t = await this.#stores.connectTokens.get(tokenId);
    if (!t || t.serverId !== server.id || t.accountId !== server.accountId) return undefined;
    return this.tokenState(t);
  }

  /** The vault, its data key wrapped to the server's key; undefined when it is gone. */
  async vault(server: ConnectServerRecord, key: ServerKey, vaultId: string): Promise<VaultState | undefined> {
    const core = await this.#stores.vaults.find(server.accountId, vaultId);
    const content = core && (await this.#stores.vaults.content(server.accountId, vaultId));
    if (!core || !content) return undefined;
    const vault = { ...core, ...content };
    const dataKey = this.#keyring.vaultKey(vault);
    return {
      id: vault.id,
      accountId: vault.accountId,
      type: vault.type,
      attributes: vault.attributes.toString('base64'),
      attributeVersion: vault.attributeVersion,
      contentVersion: vault.contentVersion,
      createdAt: vault.createdAt,
      updatedAt: vault.updatedAt,
      key: await wrapVaultKey(key, vault, dataKey),
    };
  }

  async vaultContent(accountId: string, vaultId: string): Promise<VaultContent | undefined> {
    return this.#stores.vaults.content(accountId, vaultId);
  }

  /**
   * The item's record as it is now (`item`, or `item-gone` when it no longer exists in the
   * vault); undefined when the vault itself is gone (its own change says so). The same for every
   * server that reaches the vault: the caller checks that the server does.
   */
  async item(accountId: string, vaultId: string, itemId: string): Promise<ItemRecordOut | undefined> {
    const content = await this.vaultContent(accountId, vaultId);
    if (!content) return undefined;
    const found = await this.#stores.items.getWithFiles(vaultId, itemId);
    if (!found || found.item.accountId !== accountId || !found.item.content)
      return { type: 'item-gone', vaultId, itemId, vaultContent: content };
    const { item } = found;
    const sealed = found.item.content;
    const files: FileState[] = [];
    for (const f of found.files) {
      const fileContent = await this.#stores.files.content(f.itemId, f.id);
      if (!fileContent) continue; // deleted meanwhile: its own change follows
      files.push({
        id: f.id,
        itemId: f.itemId,
        vaultId: f.vaultId,
        meta: f.meta.toString('base64'),
        size: f.size,
        createdAt: f.createdAt,
        content: fileContent.toString('base64'),
      });
    }
    return {
      type: 'item',
      item: {
        id: item.id,
        vaultId: item.vaultId,
        accountId: item.accountId,
        version: item.version,
        createdAt: item.createdAt,
        updatedAt: item.updatedAt,
        lastEditedBy: item.lastEditedBy,
        head: item.head ? item.head.toString('base64') : null,
        overview: item.overview.toString('base64'),
        content: sealed.toString('base64'),
        layout: item.layout,
        files,
      },
      vaultContent: content,
    };
  }

  /**
   * What a node applies after one of its own writes (the `records` of a write RPC's answer): the
   * item's record now, or none when the vault is not (or no longer) one the server reaches.
   */
  async afterWrite(server: ConnectServerRecord, vaultId: string, itemId: string): Promise<ReplicaRecord[]> {
    if (!(await this.#stores.connectServers.vaults(server.id)).includes(vaultId)) return [];
    const record = await this.item(server.accountId, vaultId, itemId);
    return record ? [record] : [];
  }

  /**
   * The server's whole state, record by record (the body of a `reset`): the server, its
   * account's Connect keys, its tokens, and each vault it reaches with the vault's items.
   */
  async *whole(
    server: ConnectServerRecord,
    key: ServerKey,
    vaultIds: readonly string[],
  ): AsyncGenerator<ReplicaRecord> {
    const reachable: string[] = [];
    const vaults: VaultState[] = [];
    for (const id of vaultIds) {
      const v = await this.vault(server, key, id);
      if (v) {
        reachable.push(id);
        vaults.push(v);
      }
    }
    yield { type: 'server', server: this.serverState(server, reachable) };
    for (const k of await this.signingKeys(server.accountId)) yield { type: 'signing-key', key: k };
    for (const t of await this.#stores.connectTokens.list(server.id))
      if (t.accountId === server.accountId) yield { type: 'token', token: this.tokenState(t) };
    for (const vault of vaults) {
      yield { type: 'vault', vault };
      for (const row of await this.#stores.items.list(vault.id)) {
        const record = await this.item(server.accountId, vault.id, row.id);
        if (record?.type === 'item') yield record;
      }
    }
  }
}
