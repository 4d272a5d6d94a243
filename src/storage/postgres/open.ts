import { Kysely, PostgresDialect, sql } from 'kysely';
import { newId } from '../../crypto/ids.js';
import { withAccessCache } from '../cache/access-cache.js';
import { ChangeListeners } from '../changes/listeners.js';
import { StorageUnavailableError } from '../errors.js';
import type { Storage } from '../ports.js';
import { kyselyStorage } from '../sql/storage.js';
import type { Database } from '../sql/tables.js';
import { auditBatches } from './audit-batches.js';
import { publishChange, receiveChanges } from './change-feed.js';
import { migrateLocked } from './migrate.js';
import { DEFAULT_POOL_SIZE, keyholdPool } from './pool.js';

export interface PostgresOptions {
  /** Connections in the pool at most (KEYHOLD_DATABASE_POOL_SIZE); default 10. */
  poolSize?: number;
}

/**
 * Opens a PostgreSQL database shared by any number of central nodes: the schema is migrated
 * first, one node at a time (migrate.ts), then a pool of connections serves, each transaction
 * on a connection of its own (a failed unit never fails a neighbour), under PostgreSQL's default
 * READ COMMITTED: the stores lock what they read to decide a write (sql/dialect.ts). A database
 * that goes away answers 503 until it is back (pool.ts). Every node announces its changes to the
 * others and hears theirs (change-feed.ts), so its access cache stays sound.
 */
export async function openPostgres(url: string, options: PostgresOptions = {}): Promise<Storage> {
  const size = options.poolSize ?? DEFAULT_POOL_SIZE;
  if (!Number.isSafeInteger(size) || size < 1)
    throw new RangeError(`pool size: a positive integer (got ${size})`);
  await migrateLocked(url);
  const { pool, raw } = keyholdPool(url, { size });
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  const node = newId();
  const listeners = new ChangeListeners();
  const storage = kyselyStorage(db, { publishChange: publishChange(node), listeners, audit: auditBatches });
  const receiver = await receiveChanges({
    url,
    db,
    node,
    deliver: (topics) => listeners.deliver(topics),
  }).catch(async (error: unknown) => {
    await db.destroy();
    throw error;
  });
  return withAccessCache(
    {
      ...storage,
      // Ready means able to serve, and every secret read writes its audit event: a database that
      // takes no writes (a replica, a demoted primary) is not ready.
      ping: async () => {
        const { rows } = await sql<{
          readOnly: string;
        }>`select current_setting('transaction_read_only') as "readOnly"`.execute(db);
        if (rows[0]?.readOnly !== 'off')
          throw new StorageUnavailableError(new Error('the database takes no writes (read-only)'));
      },
      stats: () => ({
        ...storage.stats(),
        pool: { max: size, total: raw.totalCount, idle: raw.idleCount, waiting: raw.waitingCount },
      }),
      close: async () => {
        await receiver.close();
        await storage.close();
      },
    },
    storage.changes,
  );
}
