import type { Kysely } from 'kysely';
import type { Stores } from '../ports.js';
import type { Database } from '../sql/tables.js';

type Work<T> = (tx: Stores) => Promise<T>;

interface Pending {
  work: Work<unknown>;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

/** Enough to share an fsync widely, small enough that one commit never holds the writer long. */
const MAX_BATCH = 256;

/**
 * `Storage.transaction` with shared commits. Every transaction requested in the same event-loop
 * turn runs inside one database transaction, each in its own savepoint: a unit that throws is
 * rolled back alone and rejects alone, the others go on. One COMMIT (one fsync) then makes them
 * all durable, and only after it does any caller's promise resolve — so a resolved transaction
 * is exactly as atomic and durable as before, while concurrent writers (token issuance under
 * load) stop paying an fsync each. If the COMMIT itself fails, every unit of the batch rejects.
 */
export function groupCommitTransactions(
  db: Kysely<Database>,
  storesOf: (db: Kysely<Database>) => Stores,
): <T>(work: Work<T>) => Promise<T> {
  let queue: Pending[] = [];
  let scheduled = false;

  const schedule = () => {
    if (scheduled) return;
    scheduled = true;
    // After this turn, not now: requests that reach their transaction in the same turn share it.
    setImmediate(() => void flush());
  };

  const flush = async () => {
    const batch = queue.slice(0, MAX_BATCH);
    queue = queue.slice(batch.length);
    const outcomes: ({ ok: true; value: unknown } | { ok: false; error: unknown })[] = [];
    try {
      const trx = await db.startTransaction().execute();
      // One set of stores for the batch: a savepoint is connection state, not another connection,
      // and stores reused across units keep their compiled queries.
      const tx = storesOf(trx);
      try {
        for (const unit of batch) {
          const inUnit = await trx.savepoint('unit').execute();
          try {
            const value = await unit.work(tx);
            await inUnit.releaseSavepoint('unit').execute();
            outcomes.push({ ok: true, value });
          } catch (error) {
            await inUnit.rollbackToSavepoint('unit').execute();
            await inUnit.releaseSavepoint('unit').execute();
            outcomes.push({ ok: false, error });
          }
        }
        await trx.commit().execute();
      } catch (error) {
        await trx
          .rollback()
          .execute()
          .catch(() => undefined);
        throw error;
      }
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
