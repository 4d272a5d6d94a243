/** The few type names that differ between the dialects the migrations are written for. */
export interface DialectTypes {
  blob: 'blob' | 'bytea';
  /** An auto-incrementing 64-bit primary key column definition. */
  serialPrimaryKey: string;
}
