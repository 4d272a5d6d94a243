/**
 * Recognises a unique-constraint violation from any backend (SQLite: SQLITE_CONSTRAINT_UNIQUE
 * or _PRIMARYKEY; PostgreSQL: SQLSTATE 23505), so services can answer 409 instead of 500 when
 * two requests race for the same unique value.
 */
export function isUniqueViolation(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || code === '23505';
}

/**
 * Whether the database refused a write because of another transaction running at the same time:
 * a unique value it took first; a row the write refers to that it deleted after the writer
 * checked it was there (a foreign key violation: SQLITE_CONSTRAINT_FOREIGNKEY, 23503 — every
 * reference Keyhold writes is checked first, so only a concurrent deletion leaves one dangling);
 * or (PostgreSQL) a deadlock between the two (40P01, one of them is aborted) or a serialization
 * failure (40001). Nothing of the refused transaction was applied; the request may be tried
 * again, and will then meet what the other one did.
 */
export function isWriteConflict(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return (
    isUniqueViolation(error) ||
    code === 'SQLITE_CONSTRAINT_FOREIGNKEY' ||
    code === '23503' ||
    code === '40P01' ||
    code === '40001'
  );
}

/**
 * Whether the database refused a text value it cannot hold: PostgreSQL text never holds U+0000
 * (SQLSTATE 22021), nor, in a database whose encoding is not UTF-8, a character outside it
 * (22P05). SQLite holds both, so a lookup by such a value finds nothing there, and fails here;
 * either way the value came from the request (what Keyhold writes refuses control characters
 * before it gets here), which is answered 400.
 */
export function isUnstorableText(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === '22021' || code === '22P05';
}

/**
 * The database could not be reached, dropped the connection (shut down, restarted, a network
 * fault) or did not answer in time. The unit of work did not complete; a write whose COMMIT was
 * in flight may or may not have been applied. Answered as a 503 (`database_unavailable`), never
 * a 500: it is not a fault of the request or of Keyhold, and retrying later may work. The
 * original error is its `cause`, for the log.
 */
export class StorageUnavailableError extends Error {
  constructor(cause: unknown) {
    super(`the database is unavailable: ${describe(cause)}`, { cause });
    this.name = 'StorageUnavailableError';
  }
}

export const isStorageUnavailable = (error: unknown): error is StorageUnavailableError =>
  error instanceof StorageUnavailableError;

/**
 * PostgreSQL SQLSTATEs that mean the database, not the statement, failed: class 08
 * (connection exception), 57P01–57P03 (the server is shutting down, crashed, or is starting),
 * class 53 (out of resources: no connection slot free, disk or memory full), 57014 (cancelled:
 * the statement timeout ran out, so the database did not answer in time), and 25006 (a write
 * on a database that takes none: a replica, or a primary demoted by a failover, reached before
 * the address moved to the new one).
 */
const UNAVAILABLE_STATES = /^(08[0-9A-Z]{3}|57P0[1-3]|53[0-9A-Z]{3}|57014|25006)$/;
/** Socket errors of a connection that cannot be made or was cut. */
const SOCKET_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);
/** The `pg` driver's own errors for a lost connection, which carry no code. */
const DRIVER_MESSAGES =
  /^(Connection terminated|Client has encountered a connection error|Client was closed|timeout exceeded when trying to connect|Query read timeout)/;

/** Whether an error from the PostgreSQL driver means that the database is out of reach. */
export function isConnectionLoss(error: unknown): boolean {
  const e = error as { code?: unknown; message?: unknown } | null;
  if (!e || typeof e !== 'object') return false;
  if (typeof e.code === 'string' && (UNAVAILABLE_STATES.test(e.code) || SOCKET_CODES.has(e.code)))
    return true;
  return typeof e.message === 'string' && DRIVER_MESSAGES.test(e.message);
}

function describe(cause: unknown): string {
  const e = cause as { code?: unknown; message?: unknown } | null;
  const message = typeof e?.message === 'string' && e.message !== '' ? e.message : String(cause);
  return typeof e?.code === 'string' ? `${message} (${e.code})` : message;
}
