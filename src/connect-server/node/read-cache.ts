/**
 * The replica's most recently read item views (an item row with its file rows), as SQLite returns
 * them: still sealed under their vault keys, and verified and opened by the domain on every read
 * exactly as a row from disk is. No plaintext is kept.
 *
 * Why: a point read through better-sqlite3 costs this node ~20 µs of its serving thread (the
 * statement's read transaction takes the file locks and checks the WAL index, syscalls that are
 * slow on a VM), a fifth of a whole GET item.
 *
 * It stays true without any bookkeeping per record: this process is the replica's only writer
 * (records arrive through `receive`, on this thread) and every write empties the cache, as do a
 * wipe and a reset's swap. A row altered on disk behind the node's back is found when it is next
 * read from disk: after a write, an eviction or a restart, like the sealed token rows.
 */
export class ReadCache<V> {
  private readonly entries = new Map<string, V>();

  constructor(private readonly capacity: number) {}

  /** The cached view of `key`, or what `read` answers (cached when it is not undefined). */
  get(key: string, read: () => V | undefined): V | undefined {
    const hit = this.entries.get(key);
    if (hit !== undefined) {
      // Most recently used last: eviction takes the first.
      this.entries.delete(key);
      this.entries.set(key, hit);
      return hit;
    }
    const value = read();
    if (value === undefined) return undefined;
    if (this.entries.size >= this.capacity) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
    this.entries.set(key, value);
    return value;
  }

  clear(): void {
    this.entries.clear();
  }

  get size(): number {
    return this.entries.size;
  }
}
