import { CHANGE_TOPICS, type ChangeTopic } from '../ports/changes.js';
import type { ReplicaChangeNote, Stores } from '../ports.js';
import { REPLICATED_WRITES, replicatedChange } from './replicated-writes.js';

const topics = (...names: ChangeTopic[]): ReadonlySet<ChangeTopic> => new Set(names);
const ACCESS = topics('access');
const CATALOG = topics('access', 'catalog');
const KEYS = topics('signing-keys');
/** Deleting an account cascades to everything it owns. */
const EVERYTHING = topics(...CHANGE_TOPICS);

/**
 * Every write method of the stores whose records some process keeps in memory, with what it
 * changes: the records that decide access (storage/cache/access-cache.ts), an account's scope
 * catalog (domain/oauth/catalog.ts), signing keys (domain/connect/signing-keys.ts). These
 * announce themselves, so no service has to remember to; a store method added to one of these
 * stores must be listed here or known as a read (test/unit/access-cache.test.ts checks).
 */
export const ANNOUNCED_WRITES = {
  accounts: { insert: ACCESS, delete: EVERYTHING },
  vaults: { insert: ACCESS, updateAttributes: ACCESS, delete: ACCESS },
  connectTokens: { insert: ACCESS, revoke: ACCESS, purgeExchanged: ACCESS },
  connectServers: {
    insert: ACCESS,
    addVault: ACCESS,
    removeVault: ACCESS,
    delete: ACCESS,
    replaceCredentials: ACCESS,
  },
  clients: { insert: ACCESS, replaceSecret: ACCESS, replaceSettings: ACCESS, delete: ACCESS },
  resourceServers: { insert: CATALOG, delete: CATALOG },
  signingKeys: { insert: KEYS, retireCurrent: KEYS, withdraw: KEYS },
} as const satisfies {
  [S in keyof Stores]?: { [M in keyof Stores[S]]?: ReadonlySet<ChangeTopic> };
};

type AnnouncingStore = keyof typeof ANNOUNCED_WRITES | keyof typeof REPLICATED_WRITES;

/**
 * How an announced or replicated write runs: `write` is the store's own call; the result is the
 * method's. `topics` are what it announces (`replica` among them for a replicated write), `change`
 * what it records in the replica change log (changes/replicated-writes.ts). `store`, `method` and
 * `args` name the call for a caller that runs it elsewhere.
 */
export type AroundWrite = (
  write: () => Promise<unknown>,
  topics: ReadonlySet<ChangeTopic>,
  call: { store: AnnouncingStore; method: string; args: unknown[]; change: ReplicaChangeNote | undefined },
) => Promise<unknown>;

const REPLICA: ReadonlySet<ChangeTopic> = topics('replica');

/** Each wrapped store, with each wrapped method's announced topics (and `replica` if it is replicated). */
const ENTRIES: [AnnouncingStore, [string, ReadonlySet<ChangeTopic>][]][] = (() => {
  const byStore = new Map<AnnouncingStore, Map<string, Set<ChangeTopic>>>();
  const add = (store: AnnouncingStore, method: string, named: ReadonlySet<ChangeTopic>) => {
    const methods = byStore.get(store) ?? new Map<string, Set<ChangeTopic>>();
    byStore.set(store, methods);
    const set = methods.get(method) ?? new Set<ChangeTopic>();
    for (const t of named) set.add(t);
    methods.set(method, set);
  };
  for (const [store, methods] of Object.entries(ANNOUNCED_WRITES))
    for (const [method, named] of Object.entries(methods)) add(store as AnnouncingStore, method, named);
  for (const [store, methods] of Object.entries(REPLICATED_WRITES))
    for (const method of Object.keys(methods)) add(store as AnnouncingStore, method, REPLICA);
  return [...byStore].map(
    ([store, methods]) => [store, [...methods]] as [AnnouncingStore, [string, ReadonlySet<ChangeTopic>][]],
  );
})();

/** `stores` with every announced or replicated write run through `around`; everything else as it was. */
export function announceWrites(stores: Stores, around: AroundWrite): Stores {
  const wrapped = { ...stores } as Record<string, unknown>;
  for (const [store, methods] of ENTRIES) {
    const inner = stores[store] as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;
    const copy = { ...inner };
    for (const [method, changed] of methods) {
      const write = inner[method] as (...args: unknown[]) => Promise<unknown>;
      copy[method] = (...args: unknown[]) =>
        around(() => write.apply(inner, args), changed, {
          store,
          method,
          args,
          change: replicatedChange(store, method, args),
        });
    }
    wrapped[store] = copy;
  }
  return wrapped as unknown as Stores;
}
