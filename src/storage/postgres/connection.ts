import pg from 'pg';

/**
 * How long a request waits for a connection (from the pool, or a new one being made) before it
 * is answered 503: a database that is down refuses at once, one behind a dead network answers
 * nothing, and a request must not hang on it.
 */
const CONNECT_TIMEOUT_MS = 5_000;

/**
 * int8 (bigint, count(*), the audit trail's bigserial) as a JavaScript number. `pg` returns it as
 * a string, since an int8 can exceed 2^53; Keyhold's never do (epoch milliseconds, TOTP steps,
 * counts and sequence numbers are all far below 2^53 ≈ 9·10^15), and the stores and SQLite's
 * driver deal in numbers. A value that did exceed it fails its query loudly rather than losing
 * precision quietly.
 */
function parseInt8(text: string): number {
  const n = Number(text);
  if (!Number.isSafeInteger(n)) throw new RangeError(`an int8 value out of JavaScript's safe range: ${text}`);
  return n;
}

const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === pg.types.builtins.INT8 && format !== 'binary'
      ? parseInt8
      : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
};

/**
 * What every connection Keyhold makes is configured with: the pool's, the migrator's, the change
 * feed's, the backup's. `name` is the `application_name` `pg_stat_activity` shows (the URL may
 * name another; this one wins).
 */
export function connectionConfig(url: string, name = 'keyhold'): pg.ClientConfig {
  return {
    connectionString: url,
    application_name: name,
    types,
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    keepAlive: true,
  };
}

/**
 * A connection of its own, outside the pool, not yet connected. `pg` emits 'error' on a client
 * whose connection breaks while no query runs, which unheard would crash the process: it is
 * heard here, and the next query on the client fails instead.
 */
export function ownConnection(url: string, name?: string): pg.Client {
  const client = new pg.Client(connectionConfig(url, name));
  client.on('error', () => undefined);
  return client;
}
