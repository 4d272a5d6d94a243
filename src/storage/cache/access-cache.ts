import type {
  ClientRecord,
  ConnectServerRecord,
  ConnectTokenRecord,
  ResourceServerRecord,
  Storage,
  Stores,
  VaultRecord,
} from '../ports.js';
import { AccessEpoch } from './access-epoch.js';

const MAX_ENTRIES = 10_000;

/**
 * The records every Connect request re-reads to decide access — its token's registration, its
 * server's vault set, the vault, and (for remote Connect servers) the server behind a credentials
 * secret — and the OAuth clients and resource servers the token and introspection endpoints
 * authenticate, served from memory between access changes.
 *
 * Invalidation lives here and only here: every write method of the stores those records come
 * from (and account deletion, which cascades to all of them) bumps the access epoch once it is
 * committed, so no service has to remember to. See AccessEpoch for why that keeps revocation
 * immediate.
 *
 * Sound only while this process is the one writer of the database, as it is for the embedded
 * SQLite store (remote Connect servers reach it over HTTP, never the file). A backend shared by
 * several processes (PostgreSQL, several nodes) would need each writer's changes announced to
 * every other process (LISTEN/NOTIFY) before it could use this.
 */
export function withAccessCache(inner: Storage): Storage {
  const epoch = new AccessEpoch();
  const tokens = epoch.cache<ConnectTokenRecord>(MAX_ENTRIES);
  const serverVaults = epoch.cache<string[]>(MAX_ENTRIES);
  const serversBySecret = epoch.cache<ConnectServerRecord>(MAX_ENTRIES);
  const vaults = epoch.cache<VaultRecord>(MAX_ENTRIES);
  const clients = epoch.cache<ClientRecord>(MAX_ENTRIES);
  const resourceServersBySecret = epoch.cache<ResourceServerRecord>(MAX_ENTRIES);
  const changed = () => epoch.changed();
  const top = guardWrites(inner, changed);

  return {
    ...inner,
    ...top,
    vaults: {
      ...top.vaults,
      find: (accountId, id) =>
        vaults.get(`${accountId}/${id}`, async () => frozen(await inner.vaults.find(accountId, id))),
    },
    // The OAuth token and introspection endpoints authenticate their caller on every request.
    clients: {
      ...top.clients,
      findById: (id) => clients.get(id, async () => frozen(await inner.clients.findById(id))),
    },
    resourceServers: {
      ...top.resourceServers,
      findBySecretHash: (secretHash) =>
        resourceServersBySecret.get(secretHash.toString('hex'), async () =>
          frozen(await inner.resourceServers.findBySecretHash(secretHash)),
        ),
    },
    connectTokens: {
      ...top.connectTokens,
      get: (id) => tokens.get(id, async () => frozen(await inner.connectTokens.get(id))),
    },
    connectServers: {
      ...top.connectServers,
      vaults: async (serverId) =>
        (await serverVaults.get(serverId, async () => frozen(await inner.connectServers.vaults(serverId)))) ??
        [],
      findBySecretHash: (secretHash) =>
        serversBySecret.get(secretHash.toString('hex'), async () =>
          frozen(await inner.connectServers.findBySecretHash(secretHash)),
        ),
    },
    // Writes inside a transaction are not visible to other readers until it commits: the epoch
    // moves when the transaction has finished (either way), not at the write.
    transaction: async (work) => {
      let wrote = false;
      try {
        return await inner.transaction((tx) =>
          work({
            ...tx,
            ...guardWrites(tx, () => {
              wrote = true;
            }),
          }),
        );
      } finally {
        if (wrote) changed();
      }
    },
  };
}

/** Every write method of the stores whose records are cached (accounts: deletion cascades). */
export const ACCESS_CHANGING_WRITES = {
  accounts: ['insert', 'delete'],
  vaults: ['insert', 'updateAttributes', 'touchContent', 'delete'],
  connectTokens: ['insert', 'revoke'],
  connectServers: ['insert', 'addVault', 'removeVault', 'delete'],
  clients: ['insert', 'delete'],
  resourceServers: ['insert', 'delete'],
} as const satisfies { [S in keyof Stores]?: readonly (keyof Stores[S])[] };

/** Those stores, with `after` called once each of their writes has finished. */
function guardWrites(stores: Stores, after: () => void) {
  const w = ACCESS_CHANGING_WRITES;
  return {
    accounts: afterEach(stores.accounts, w.accounts, after),
    vaults: afterEach(stores.vaults, w.vaults, after),
    connectTokens: afterEach(stores.connectTokens, w.connectTokens, after),
    connectServers: afterEach(stores.connectServers, w.connectServers, after),
    clients: afterEach(stores.clients, w.clients, after),
    resourceServers: afterEach(stores.resourceServers, w.resourceServers, after),
  } satisfies Partial<Stores>;
}

function afterEach<S extends object>(store: S, methods: readonly (keyof S)[], after: () => void): S {
  const wrapped = { ...store };
  for (const name of methods) {
    const write = store[name] as (...args: unknown[]) => Promise<unknown>;
    wrapped[name] = (async (...args: unknown[]) => {
      try {
        return await write.apply(store, args);
      } finally {
        after();
      }
    }) as S[typeof name];
  }
  return wrapped;
}

/**
 * Cached records are shared by every request that reads them, so nobody may change one: frozen
 * all the way down (Buffers excepted: they cannot be frozen, and nothing writes into them).
 */
function frozen<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !ArrayBuffer.isView(value)) {
    for (const inner of Object.values(value)) frozen(inner);
    Object.freeze(value);
  }
  return value;
}
