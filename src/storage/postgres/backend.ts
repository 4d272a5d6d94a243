import { ProcessError } from '../../errors/process-error.js';
import { type Backend, type Found, KEY_CHECK } from '../backend.js';
import { ownConnection } from './connection.js';
import { openPostgres, type PostgresOptions } from './open.js';

/** SQLSTATE undefined_table: the database has no Keyhold schema yet. */
const UNDEFINED_TABLE = '42P01';

/**
 * A PostgreSQL database shared by any number of central nodes. Nothing is held: every node's
 * writes reach the others through the database and its change feed.
 */
export function postgresBackend(url: string, options: PostgresOptions = {}): Backend {
  return {
    kind: 'postgres',
    location: withoutPassword(url),
    hold: () => ({ release: () => undefined }),
    inspect: () => inspectPostgres(url),
    open: () => openPostgres(url, options),
  };
}

/** The URL with its password (and any query, which may carry one) left out. */
export function withoutPassword(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.password = '';
    parsed.search = '';
    return parsed.toString();
  } catch {
    return 'postgres://(unparseable URL)';
  }
}

/**
 * An empty database, or one migrated whose initialisation never committed, holds nothing yet; a
 * connection error is an error, never "nothing" (which would start a second initialisation).
 */
async function inspectPostgres(url: string): Promise<Found> {
  const client = ownConnection(url);
  try {
    await client.connect();
    const result = await client.query<{ value: string }>('select value from meta where key = $1', [
      KEY_CHECK,
    ]);
    const row = result.rows[0];
    return row ? { kind: 'keyhold', keyCheck: row.value } : { kind: 'nothing' };
  } catch (error) {
    if ((error as { code?: unknown }).code === UNDEFINED_TABLE) return { kind: 'nothing' };
    throw new ProcessError(
      'database_unavailable',
      `cannot read the database at ${withoutPassword(url)}: ${error instanceof Error ? error.message : String(error)}`,
    );
  } finally {
    await client.end().catch(() => undefined);
  }
}
