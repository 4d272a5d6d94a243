import { closeSync, openSync } from 'node:fs';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely } from 'kysely';
import { withAccessCache } from '../cache/access-cache.js';
import { withItemViewCache } from '../cache/item-views.js';
import type { Storage } from '../ports.js';
import { DIALECT_TYPES } from '../sql/migrations.js';
import { TOKEN_COLUMNS, toTokenValues } from '../sql/oauth/tokens.js';
import { kyselyStorage, migrate } from '../sql/storage.js';
import type { Database } from '../sql/tables.js';
import { auditWriter } from './audit-writer.js';
import { betterSqliteDialect } from './driver.js';
import { batchStores, groupCommitTransactions } from './group-commit.js';
import { walSync } from './wal-sync.js';

/**
 * Opens (creating if needed) the embedded SQLite database.
 *
 * - WAL: readers never block the writer.
 * - synchronous=FULL: a commit is on disk before the request that made it is answered, so an
 *   acknowledged write survives a crash or power loss, not only a killed process. (Transactions
 *   commit at NORMAL and are answered after a sync of the log off the event loop, which is as
 *   durable: group-commit.ts.)
 * - foreign_keys=ON: deleting an account or vault cascades to everything under it.
 * - mode 0600: SQLite gives the -wal and -shm files the database file's mode, so creating the
 *   file owner-only first keeps all three private even in a world-readable directory.
 * - the audit events of secret reads are committed by a thread of their own (audit-writer.ts),
 *   so their fsyncs do not stall the event loop, and so are issued OAuth tokens with their
 *   events: an issuance writes nothing else, and its inserts and commit were most of what a
 *   client-credentials token cost the serving thread. Everything else runs on this connection.
 */
export async function openSqlite(file: string): Promise<Storage> {
  closeSync(openSync(file, 'a', 0o600));
  const database = new BetterSqlite3(file);
  database.pragma('journal_mode = WAL');
  database.pragma('synchronous = FULL');
  database.pragma('foreign_keys = ON');
  database.pragma('busy_timeout = 5000');
  // Statement journals in memory: a group-commit batch runs each unit in a savepoint
  // (group-commit.ts), and SQLite keeps the first image of every page a savepoint changes in a
  // statement journal. A journal past 64 KiB (an item create changes ~12 pages) spilled to a
  // temporary file in /var/tmp that then stayed on disk for the rest of the batch, so every
  // create wrote ~12 pages there besides its WAL frames. The journal is only for rolling a unit
  // back: it is never read after a crash (the WAL is), so where it lives changes no durability.
  // It is emptied each time a unit's savepoint is released, so it holds one unit's pages at most.
  // The setting covers this connection's sorts too: a whole vault's item list (ORDER BY
  // created_at, a temporary b-tree) now sorts in memory rather than spilling past the page
  // cache; every row it sorts is then returned to JavaScript anyway.
  database.pragma('temp_store = MEMORY');
  const { dialect, runIfFree, runHeld } = betterSqliteDialect(database);
  const db = new Kysely<Database>({ dialect });
  try {
    await migrate(db, DIALECT_TYPES.sqlite);
  } catch (error) {
    await db.destroy();
    throw error;
  }
  // One connection, one writer: transactions requested in the same event-loop turn share a
  // commit, and its fsync runs off the event loop (group-commit.ts, wal-sync.ts). The audit
  // events of secret reads are the audit writer's, below.
  const wal = walSync(file);
  const storage = kyselyStorage(db, {
    runIfFree,
    transaction: (db, storesOf) =>
      groupCommitTransactions(db, (trx) => batchStores(trx, storesOf, runHeld), wal.sync, runHeld),
  });
  const audit = auditWriter(file);
  // This process is the database's only writer: its changes are announced in memory, to itself,
  // so the item views it reads can be kept too (cache/item-views.ts).
  const cached = withAccessCache(
    {
      ...storage,
      audit: {
        ...storage.audit,
        append: async (event) => {
          await audit.append(event);
        },
      },
      insertIssuedTokens: (tokens, events) =>
        audit.appendWith(events, [
          { table: 'oauth_tokens', columns: TOKEN_COLUMNS, rows: tokens.map(toTokenValues) },
        ]),
      close: async () => {
        await audit.close();
        await storage.close();
        await wal.close();
      },
    },
    storage.changes,
  );
  return withItemViewCache(cached, storage.changes);
}
