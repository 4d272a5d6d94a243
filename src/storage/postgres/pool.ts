import type { PostgresPool, PostgresPoolClient } from 'kysely';
import pg from 'pg';
import { isConnectionLoss, StorageUnavailableError } from '../errors.js';
import { connectionConfig } from './connection.js';

export interface PoolSettings {
  /** Connections at most (KEYHOLD_DATABASE_POOL_SIZE). */
  size: number;
}

export const DEFAULT_POOL_SIZE = 10;

/** An idle connection is closed after this; the pool makes new ones as load comes back. */
const IDLE_TIMEOUT_MS = 30_000;
/**
 * The longest any statement may run (PostgreSQL's `statement_timeout`). Keyhold's statements
 * take milliseconds; one that runs for this long is waiting on a lock held by a stuck peer, or
 * the database is overloaded, and the request is better answered 503 than left hanging.
 * Migrations run on a connection of their own without it (migrate.ts).
 */
export const STATEMENT_TIMEOUT_MS = 30_000;
/**
 * How long this process waits for the answer to one query (pg's client-side `query_timeout`).
 * The statement timeout is the server's, and a server that does not answer at all (a frozen
 * host, a network path that drops a connection's packets) never sends its cancellation either:
 * without this a request would wait on such a connection for as long as TCP takes to give up,
 * minutes to hours. Longer than the statement timeout, so a slow statement is cancelled by the
 * server first and its connection kept; one that times out here is closed (see `release`).
 */
export const QUERY_TIMEOUT_MS = STATEMENT_TIMEOUT_MS + 5_000;
/**
 * A transaction left open without a statement for this long is ended by the server (its locks
 * go with it): a node that stalls mid-transaction (a paused VM) cannot hold rows for ever.
 */
const IDLE_IN_TRANSACTION_TIMEOUT_MS = 60_000;

/**
 * The `pg` pool Kysely draws its connections from, with what a service needs around it:
 *
 * - a connection that breaks never crashes the process: `pg` emits 'error' on an idle client (in
 *   the pool, or held by a transaction between two statements), which would be an unhandled
 *   event; here it is heard, and the broken client is dropped at release;
 * - every failure to connect, every query error that means the connection was lost, and every
 *   query left unanswered past `QUERY_TIMEOUT_MS` becomes a `StorageUnavailableError` (503),
 *   whatever the driver called it;
 * - the pool reconnects by itself: a broken connection is never reused, and the next request
 *   makes a new one, so the service works again as soon as the database is back.
 */
export function keyholdPool(url: string, settings: PoolSettings): { pool: PostgresPool; raw: pg.Pool } {
  const raw = new pg.Pool({
    ...connectionConfig(url),
    max: settings.size,
    idleTimeoutMillis: IDLE_TIMEOUT_MS,
    statement_timeout: STATEMENT_TIMEOUT_MS,
    query_timeout: QUERY_TIMEOUT_MS,
    idle_in_transaction_session_timeout: IDLE_IN_TRANSACTION_TIMEOUT_MS,
  });
  // An idle client that loses its connection is removed by the pool, which then emits 'error'.
  raw.on('error', () => undefined);
  // A client held by a transaction has no pool listener between statements: its next query fails
  // (and is mapped below), and release drops it.
  raw.on('connect', (client) => client.on('error', () => undefined));
  const unavailable = (error: unknown) =>
    isConnectionLoss(error) ? new StorageUnavailableError(error) : error;
  const pool: PostgresPool = {
    async connect(): Promise<PostgresPoolClient> {
      let client: pg.PoolClient;
      try {
        client = await raw.connect();
      } catch (error) {
        throw new StorageUnavailableError(error);
      }
      // A connection that failed, or whose answer never came, is closed at release: never reused
      // (a late answer to a timed-out query would still be on its way).
      let lost: Error | undefined;
      return {
        query: ((text: string, parameters: unknown[]) =>
          client.query(text, parameters).catch((error: unknown) => {
            if (isConnectionLoss(error)) lost = error instanceof Error ? error : new Error(String(error));
            throw unavailable(error);
          })) as unknown as PostgresPoolClient['query'],
        release: () => client.release(lost),
      };
    },
    end: () => raw.end(),
  };
  return { pool, raw };
}
