/** Storage ports: what a storage can tell about its own use, for the central service's metrics. */

/** One in-memory cache: lookups answered from memory, lookups that read the database, entries now. */
export interface CacheStats {
  hits: number;
  misses: number;
  entries: number;
}

/** A connection pool: its bound, the connections open, those idle, and the callers waiting for one. */
export interface PoolStats {
  max: number;
  total: number;
  idle: number;
  waiting: number;
}

export interface StorageStats {
  /** Each cache by name (`connect_tokens`, `vaults`, …); counts since the process started. */
  caches: Record<string, CacheStats>;
  /** PostgreSQL's connection pool; SQLite has one connection and no pool. */
  pool?: PoolStats;
}
