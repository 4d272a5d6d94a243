import type {
  ChangeFeed,
  ClientRecord,
  ConnectServerRecord,
  ConnectTokenRecord,
  ResourceServerRecord,
  Storage,
  VaultCore,
} from '../ports.js';
import { AccessEpoch } from './access-epoch.js';
import { frozen } from './frozen.js';

const MAX_ENTRIES = 10_000;

/**
 * The records every Connect request re-reads to decide access — its token's registration, its
 * server's vault set, the vault, and (for remote Connect servers) the server behind a credentials
 * secret — and the OAuth clients and resource servers the token and introspection endpoints
 * authenticate, served from memory between access changes.
 *
 * Invalidation comes from the change feed and only from it: every write method of the stores
 * those records come from (and account deletion, which cascades to all of them) announces an
 * `access` change (storage/changes/announced-writes.ts), which `feed` delivers to this process
 * once it has committed — this process's own writes before the writing call returns, another
 * central node's as soon as it is known (on PostgreSQL by notification, or by the poll of the
 * change counter within a second should the notification be lost). Each delivery moves the
 * access epoch; see AccessEpoch for why that keeps revocation immediate here and bounded by the
 * feed's delivery elsewhere.
 */
export function withAccessCache(inner: Storage, feed: ChangeFeed): Storage {
  const epoch = new AccessEpoch();
  const tokens = epoch.cache<ConnectTokenRecord>(MAX_ENTRIES);
  const serverVaults = epoch.cache<string[]>(MAX_ENTRIES);
  const serversBySecret = epoch.cache<ConnectServerRecord>(MAX_ENTRIES);
  const vaults = epoch.cache<VaultCore>(MAX_ENTRIES);
  const clients = epoch.cache<ClientRecord>(MAX_ENTRIES);
  const resourceServersBySecret = epoch.cache<ResourceServerRecord>(MAX_ENTRIES);
  const unsubscribe = feed.subscribe((topics) => {
    if (topics.has('access')) epoch.changed();
  });

  return {
    ...inner,
    vaults: {
      ...inner.vaults,
      find: (accountId, id) =>
        vaults.get(`${accountId}/${id}`, async () => frozen(await inner.vaults.find(accountId, id))),
    },
    // The OAuth token and introspection endpoints authenticate their caller on every request.
    clients: {
      ...inner.clients,
      findById: (id) => clients.get(id, async () => frozen(await inner.clients.findById(id))),
    },
    resourceServers: {
      ...inner.resourceServers,
      findBySecretHash: (secretHash) =>
        resourceServersBySecret.get(secretHash.toString('hex'), async () =>
          frozen(await inner.resourceServers.findBySecretHash(secretHash)),
        ),
    },
    connectTokens: {
      ...inner.connectTokens,
      get: (id) => tokens.get(id, async () => frozen(await inner.connectTokens.get(id))),
    },
    connectServers: {
      ...inner.connectServers,
      vaults: async (serverId) =>
        (await serverVaults.get(serverId, async () => frozen(await inner.connectServers.vaults(serverId)))) ??
        [],
      findBySecretHash: (secretHash) =>
        serversBySecret.get(secretHash.toString('hex'), async () =>
          frozen(await inner.connectServers.findBySecretHash(secretHash)),
        ),
    },
    stats: () => {
      const below = inner.stats();
      return {
        ...below,
        caches: {
          ...below.caches,
          connect_tokens: tokens.stats(),
          connect_server_vaults: serverVaults.stats(),
          connect_servers_by_secret: serversBySecret.stats(),
          vaults: vaults.stats(),
          oauth_clients: clients.stats(),
          resource_servers_by_secret: resourceServersBySecret.stats(),
        },
      };
    },
    close: async () => {
      unsubscribe();
      await inner.close();
    },
  };
}
