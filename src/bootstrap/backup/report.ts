import type { RowCounts } from './copy-tables.js';
import type { SchemaVersion } from './schema-version.js';

/** What `keyhold backup` wrote, as verified once written. */
export interface BackupReport {
  file: string;
  bytes: number;
  /** How the copy was taken. */
  method: 'sqlite-online-backup' | 'logical-export';
  schemaVersion: SchemaVersion;
  tables: RowCounts;
  items: number;
  vaults: number;
  /** Vaults whose latest item was decrypted from the backup (each vault's key opened). */
  decryptedVaults: number;
}

/** What `keyhold restore` put in place, as verified before and after. */
export interface RestoreReport {
  file: string;
  /** Where it went: the database file, or the database (PostgreSQL). */
  target: string;
  /** The backup's schema version. */
  schemaVersion: SchemaVersion;
  /** The schema version of the restored database (later than the backup's when it was migrated). */
  restoredSchemaVersion: SchemaVersion;
  tables: RowCounts;
  items: number;
  vaults: number;
  decryptedVaults: number;
}
