/**
 * The change feed: how every process using a database learns that another (or itself) committed
 * a change to something a process keeps in memory — the records that decide access (the access
 * cache), an account's scope catalog, signing keys. One process on SQLite; any number of central
 * nodes on PostgreSQL.
 */

/** What a change touched; each names the in-memory copies it makes stale. */
/**
 * `replica`: the replica change log moved (ports/replica.ts): the Connect stream pump reads it.
 * Every other listener ignores it, so an item write drops no cache.
 */
export const CHANGE_TOPICS = ['access', 'catalog', 'signing-keys', 'replica'] as const;
export type ChangeTopic = (typeof CHANGE_TOPICS)[number];

/**
 * Told the topics of a committed change, after it is visible to every new read of the database.
 * Called synchronously by whoever delivers, so it must only drop what it holds, never throw (a
 * listener that throws brings the process down: a copy that could not be dropped must not be
 * served).
 */
export type ChangeListener = (topics: ReadonlySet<ChangeTopic>) => void;

export interface ChangeAnnouncer {
  /**
   * Announces a change to what `topics` name to every process using the database, this one
   * included. In a transaction (`tx.changes`) it is delivered once the transaction commits, and
   * never if it rolls back; on `Storage.changes`, at once (for a change already committed).
   *
   * The store writes that change those things announce themselves (storage/changes/
   * announced-writes.ts), so services never need to call this.
   */
  announce(topics: ReadonlySet<ChangeTopic>): Promise<void>;
}

export interface ChangeFeed extends ChangeAnnouncer {
  /**
   * Calls `listener` after every announced change committed from now on by any process using
   * the database: this process's own at once (before the writing call returns), another's as
   * soon as it is known — on PostgreSQL by notification, and at the latest by the next poll of
   * the change counter (well within a second) should a notification be lost. When a process
   * cannot tell what was missed, every topic is delivered. Returns the unsubscribe function.
   */
  subscribe(listener: ChangeListener): () => void;
}
