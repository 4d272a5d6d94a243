import type { CacheStats } from '../ports.js';

/**
 * One generation counter for everything that decides access (token registrations, Connect
 * servers and their vault sets, vaults, accounts), and the bounded caches that live by it.
 *
 * The rule that keeps cached decisions sound: a reader notes the epoch *before* it reads the
 * database, and keeps what it read only if the epoch is still the same afterwards. Every
 * committed write that can change access moves the epoch when the change feed delivers it —
 * after the commit, so after it is visible to every new read — and clears every cache. So an
 * entry can only come from a read that started after the last delivered access change, and a
 * delivery that arrives while a read is in flight discards that read. In the writing process the
 * delivery comes before the write call returns: a revoked token, a deleted server or vault, or a
 * vault removed from a server is refused at the very next request, exactly as if nothing were
 * cached. Another central node's write is refused from its delivery on (ports/changes.ts).
 */
export class AccessEpoch {
  #epoch = 0;
  readonly #caches: EpochCache<unknown>[] = [];

  get current(): number {
    return this.#epoch;
  }

  /** Called for every delivered access change (committed, and visible to new reads). */
  changed(): void {
    this.#epoch += 1;
    for (const cache of this.#caches) cache.clear();
  }

  cache<V>(maxEntries: number): EpochCache<V> {
    const cache = new EpochCache<V>(this, maxEntries);
    this.#caches.push(cache as EpochCache<unknown>);
    return cache;
  }
}

export class EpochCache<V> {
  readonly #epoch: AccessEpoch;
  readonly #max: number;
  readonly #entries = new Map<string, V>();
  #hits = 0;
  #misses = 0;

  constructor(epoch: AccessEpoch, maxEntries: number) {
    this.#epoch = epoch;
    this.#max = maxEntries;
  }

  /**
   * The cached value of `key`, or what `load` reads (kept only if nothing changed access while it
   * read; `undefined` — not found — is never kept, so a miss always asks the database again).
   */
  async get(key: string, load: () => Promise<V | undefined>): Promise<V | undefined> {
    const hit = this.#entries.get(key);
    if (hit !== undefined) {
      this.#hits += 1;
      return hit;
    }
    this.#misses += 1;
    const readAt = this.#epoch.current;
    const value = await load();
    if (value !== undefined && readAt === this.#epoch.current) {
      // Oldest first out: a bound on memory, not a policy anyone relies on.
      if (this.#entries.size >= this.#max) this.#entries.delete(this.#entries.keys().next().value as string);
      this.#entries.set(key, value);
    }
    return value;
  }

  clear(): void {
    this.#entries.clear();
  }

  /** Lookups answered from memory and from the database since the process started; entries now. */
  stats(): CacheStats {
    return { hits: this.#hits, misses: this.#misses, entries: this.#entries.size };
  }
}
