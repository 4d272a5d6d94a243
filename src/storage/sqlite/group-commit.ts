import { CompiledQuery, type Kysely, sql } from 'kysely';
import type { Stores } from '../ports.js';
import type { RunHeld } from '../sql/precompiled.js';
import { batchedReplicaLog } from '../sql/replica-log.js';
import type { Database } from '../sql/tables.js';

type Work<T> = (tx: Stores) => Promise<T>;

interface Pending {
  work: Work<unknown>;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

/** Enough to share an fsync widely, small enough that one commit never holds the writer long. */
const MAX_BATCH = 256;

/**
 * The stores the units of one batch share, and the work they leave to the batch: queued while a
 * unit runs, dropped with the unit if it is rolled back, done once for all of them before COMMIT.
 */
export interface BatchStores {
  stores: Stores;
  /** Where the queued work stands: taken before each unit. */
  mark(): number;
  /** Drops what was queued since `mark`. */
  rollbackTo(mark: number): void;
  /** Does the queued work: the batch's last statements before its COMMIT. */
  finish(): Promise<void>;
}

/**
 * A batch's stores over its transaction `trx`: statements run at once on the held connection
 * (`runHeld`), and the replica log is bumped once per batch (replica-log.ts, batchedReplicaLog).
 */
export function batchStores(
  trx: Kysely<Database>,
  storesOf: (db: Kysely<Database>, runHeld?: RunHeld) => Stores,
  runHeld: RunHeld,
): BatchStores {
  const log = batchedReplicaLog(trx, runHeld);
  return {
    stores: { ...storesOf(trx, runHeld), replicaLog: log.store },
    mark: log.mark,
    rollbackTo: log.rollbackTo,
    finish: log.finish,
  };
}

const SAVEPOINT = CompiledQuery.raw('savepoint unit');
const RELEASE = CompiledQuery.raw('release unit');
const ROLLBACK_TO = CompiledQuery.raw('rollback to unit');

/**
 * `Storage.transaction` with shared commits. Every transaction requested in the same event-loop
 * turn runs inside one database transaction, each in its own savepoint: a unit that throws is
 * rolled back alone and rejects alone, the others go on. One COMMIT then holds them all, and only
 * once it is durable does any caller's promise resolve — so a resolved transaction is exactly as
 * atomic and durable as before, while concurrent writers (token issuance, item writes under load)
 * stop paying an fsync each. If the COMMIT or its sync fails, every unit of the batch rejects.
 *
 * The sync runs off the event loop (`durable`, wal-sync.ts): the batch commits with
 * synchronous=NORMAL (its frames written to the WAL, not synced), the connection goes back to
 * FULL for everything else, and the units are answered once `durable` says the log is on disk.
 * With FULL the COMMIT itself waited for the fsync — on the event loop, stalling every request
 * for as long (3–5 ms a commit on the test machine, a seventh of an item create's main-thread
 * time). Now the event loop goes on (parsing, validating, sealing the next requests) while the
 * connection stays held until the sync is done: no statement of this process, read or write,
 * runs between the COMMIT and its sync, so nothing here can see or pass on (to a reader, to the
 * replica stream of a standalone node) rows that a power loss could still take back — what FULL
 * guaranteed, kept.
 */
export function groupCommitTransactions(
  db: Kysely<Database>,
  batchOf: (trx: Kysely<Database>) => BatchStores,
  durable: () => Promise<void>,
  runHeld: RunHeld,
): <T>(work: Work<T>) => Promise<T> {
  let queue: Pending[] = [];
  let scheduled = false;

  const schedule = () => {
    if (scheduled) return;
    scheduled = true;
    // After this turn, not now: requests that reach their transaction in the same turn share it.
    setImmediate(() => void flush());
  };

  /** The batch in one transaction, a savepoint per unit; resolves once committed (not synced). */
  const commit = async (conn: Kysely<Database>, units: Pending[]): Promise<Outcome[]> => {
    const outcomes: Outcome[] = [];
    const trx = await conn.startTransaction().execute();
    // One set of stores for the batch: a savepoint is connection state, not another connection,
    // and stores reused across units keep their compiled queries. The batch holds the connection,
    // so its savepoints and the stores' statements run on it at once (runHeld).
    const batch = batchOf(trx);
    try {
      for (const unit of units) {
        const mark = batch.mark();
        runHeld(SAVEPOINT);
        try {
          const value = await unit.work(batch.stores);
          runHeld(RELEASE);
          outcomes.push({ ok: true, value });
        } catch (error) {
          runHeld(ROLLBACK_TO);
          runHeld(RELEASE);
          batch.rollbackTo(mark);
          outcomes.push({ ok: false, error });
        }
      }
      await batch.finish();
      await trx.commit().execute();
    } catch (error) {
      await trx
        .rollback()
        .execute()
        .catch(() => undefined);
      throw error;
    }
    return outcomes;
  };

  const flush = async () => {
    const batch = queue.slice(0, MAX_BATCH);
    queue = queue.slice(batch.length);
    try {
      // The connection is held from the first pragma to the end of the sync: no other statement
      // runs on it while it is at NORMAL (SQLite refuses to change `synchronous` inside a
      // transaction), nor sees the batch before it is durable.
      const outcomes = await db.connection().execute(async (conn) => {
        await sql`pragma synchronous = NORMAL`.execute(conn);
        let committed: Outcome[];
        try {
          committed = await commit(conn, batch);
        } finally {
          await sql`pragma synchronous = FULL`.execute(conn);
        }
        await durable();
        return committed;
      });
      batch.forEach((unit, i) => {
        const outcome = outcomes[i];
        if (outcome?.ok) unit.resolve(outcome.value);
        else unit.reject(outcome ? outcome.error : new Error('transaction did not run'));
      });
    } catch (error) {
      for (const unit of batch) unit.reject(error);
    } finally {
      scheduled = false;
      if (queue.length > 0) schedule();
    }
  };

  return <T>(work: Work<T>) =>
    new Promise<T>((resolve, reject) => {
      queue.push({ work, resolve: resolve as (value: unknown) => void, reject });
      schedule();
    });
}
