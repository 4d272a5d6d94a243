import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { newId } from '../../crypto/ids.js';
import { withAccessCache } from '../cache/access-cache.js';
import { ChangeListeners } from '../changes/listeners.js';
import type { Storage } from '../ports.js';
import type { DialectTypes } from '../sql/migrations.js';
import { kyselyStorage, migrate } from '../sql/storage.js';
import type { Database } from '../sql/tables.js';
import { publishChange, receiveChanges } from './change-feed.js';

/** The migrations' type names on PostgreSQL. */
export const POSTGRES_TYPES: DialectTypes = { blob: 'bytea', serialPrimaryKey: 'bigserial primary key' };

/**
 * Opens a PostgreSQL database shared by any number of central nodes: a pool of connections, each
 * transaction on a connection of its own.
 */
export async function openPostgres(url: string): Promise<Storage> {
  const pool = new pg.Pool({ connectionString: url });
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  try {
    await migrate(db, POSTGRES_TYPES);
  } catch (error) {
    await db.destroy();
    throw error;
  }
  // Every node announces its changes to the others, and hears theirs (change-feed.ts).
  const node = newId();
  const listeners = new ChangeListeners();
  const storage = kyselyStorage(db, { publishChange: publishChange(node), listeners });
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
      close: async () => {
        await receiver.close();
        await storage.close();
      },
    },
    storage.changes,
  );
}
