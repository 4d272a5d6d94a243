/**
 * One generation counter for everything that decides access (token registrations, Connect
 * servers and their vault sets, vaults, accounts), and the bounded caches that live by it.
 *
 * The rule that keeps cached decisions sound: a reader notes the epoch *before* it reads the
 * database, and keeps what it read only if the epoch is still the same afterwards. Every write
 * that can change access bumps the epoch *after* it is committed and clears every cache. So an
 * entry can only come from a read that started after the last committed access change: a
 * revoked token, a deleted server or vault, or a vault removed from a server is refused at the
 * very next request, exactly as if nothing were cached.
 */
export class AccessEpoch {
  #epoch = 0;
  readonly #caches: EpochCache<unknown>[] = [];

  get current(): number {
    return this.#epoch;
  }

  /** Called after every committed access-changing write. */
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
    if (hit !== undefined) return hit;
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
}
