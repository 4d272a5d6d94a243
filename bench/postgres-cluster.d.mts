/** The types of postgres-cluster.mjs, for the TypeScript that imports it (test/helpers/postgres.ts). */

export interface DatabaseOptions {
  /**
   * Copy this database (by name) instead of an empty one: a schema migrated once is cloned for
   * each test. Nobody may be connected to it while it is copied.
   */
  template?: string;
  /**
   * An ICU locale (`en-US`) to collate text by, as a production cluster made with a language's
   * locale does; without it the database has the cluster's C locale (byte order). A copy of a
   * template has the template's.
   */
  icuLocale?: string;
}

export interface PostgresCluster {
  /** A URL for `database` on this cluster (default: the `postgres` maintenance database). */
  url(database?: string): string;
  /** The cluster's temporary directory (data, socket, log), removed by `stop`. */
  dir: string;
  /** A new, empty database with a unique name (see DatabaseOptions); answers its URL. */
  createDatabase(options?: DatabaseOptions): Promise<string>;
  /** The named settings as the running server reports them. */
  show(names: string[]): Promise<Record<string, string>>;
  version(): Promise<string>;
  /**
   * User + system CPU, in µs, used so far by the cluster: the postmaster, its live children
   * (backends, WAL writer, checkpointer, autovacuum…) and the children it has already reaped
   * (a backend whose pooled connection closed). Linux /proc.
   */
  cpuMicros(): number;
  /** Shuts the server down (`pg_ctl stop -m fast`: sessions end with 57P01), keeping its data. */
  pause(): void;
  /** Starts the server again after `pause`, on the same port. */
  resume(): void;
  /** Stops the server at once and removes its directory (also done when the process exits). */
  stop(): void;
}

export function startPostgres(options?: { settings?: Record<string, string> }): Promise<PostgresCluster>;
