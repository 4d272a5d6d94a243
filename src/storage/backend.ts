import type { Storage } from './ports.js';

/** What a database holds, read without creating, migrating or writing anything. */
export type Found =
  /** Nothing yet: no database file, or a database without a key check (never initialised). */
  | { kind: 'nothing' }
  /** A Keyhold database: its key check, sealed under the master key it was created with. */
  | { kind: 'keyhold'; keyCheck: string }
  /** Something that is not a Keyhold database; `why` says what was found. */
  | { kind: 'other'; why: string };

/**
 * One storage backend, as the composition root and the CLI see it: where the database is, who
 * may hold it, what is there, and how to open it. `chooseBackend` (choose-backend.ts) is the
 * only place that picks one.
 */
export interface Backend {
  readonly kind: 'sqlite' | 'postgres';
  /** Where the database is, for messages and logs; never a password. */
  readonly location: string;
  /**
   * Holds the database for this process where only one process may use it: SQLite's
   * data-directory lock (sqlite/data-dir-lock.ts). A PostgreSQL database is shared by every
   * node, so there it holds nothing. Throws DataDirInUseError when another process holds it.
   */
  hold(): { release(): void };
  /** What is there; a database that cannot be read is an error that says why. */
  inspect(): Promise<Found>;
  /** Opens the database, creating it and bringing its schema up to date as needed. */
  open(): Promise<Storage>;
}

/** The `meta` row holding the key check. */
export const KEY_CHECK = 'master_key_check';
