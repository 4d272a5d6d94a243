import type { SqlDialect } from '../dialect.js';

/** The few type names that differ between the dialects the migrations are written for. */
export interface DialectTypes {
  blob: 'blob' | 'bytea';
  /** An auto-incrementing 64-bit primary key column definition. */
  serialPrimaryKey: string;
}

/** Those names, per dialect. */
export const DIALECT_TYPES = {
  sqlite: { blob: 'blob', serialPrimaryKey: 'integer primary key autoincrement' },
  postgres: { blob: 'bytea', serialPrimaryKey: 'bigserial primary key' },
} as const satisfies Record<SqlDialect, DialectTypes>;
