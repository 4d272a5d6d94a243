/**
 * Recognises a unique-constraint violation from any backend (SQLite: SQLITE_CONSTRAINT_UNIQUE
 * or _PRIMARYKEY; PostgreSQL: SQLSTATE 23505), so services can answer 409 instead of 500 when
 * two requests race for the same unique value.
 */
export function isUniqueViolation(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || code === '23505';
}
