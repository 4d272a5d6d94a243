import type { Kysely } from 'kysely';
import type { AuditEventInput, AuditStore } from '../ports.js';
import { toAuditRow } from '../sql/audit.js';
import type { Database } from '../sql/tables.js';

/** Rows per multi-row INSERT (16 parameters each): a few thousand parameters per statement. */
const MAX_BATCH = 500;

/**
 * Batches for the audit events written outside a transaction (the events of secret reads), on
 * PostgreSQL. Each event must be committed before its request is answered, and every commit is
 * a round trip and a WAL flush; so events that arrive while a batch is in flight wait and are
 * written together, in one INSERT, by the next one. Every caller still resolves only after the
 * commit holding its event, and a failed commit rejects every event in it: fail-closed is kept,
 * per event. (SQLite commits these events on a thread of its own: sqlite/audit-writer.ts.)
 */
export function auditBatches(db: Kysely<Database>, store: AuditStore): AuditStore {
  let queue: { event: AuditEventInput; resolve: () => void; reject: (e: unknown) => void }[] = [];
  let flushing = false;
  const flush = async () => {
    while (queue.length > 0) {
      const batch = queue.slice(0, MAX_BATCH);
      queue = queue.slice(batch.length);
      try {
        await db
          .insertInto('audit_events')
          .values(batch.map((b) => toAuditRow(b.event)))
          .execute();
        for (const b of batch) b.resolve();
      } catch (error) {
        for (const b of batch) b.reject(error);
      }
    }
    flushing = false;
  };
  return {
    ...store,
    append: (event) =>
      new Promise<void>((resolve, reject) => {
        queue.push({ event, resolve, reject });
        // Start the commit after this event-loop turn, not now: every request that reached its
        // audit event in the same turn shares the commit.
        if (!flushing) {
          flushing = true;
          setImmediate(() => void flush());
        }
      }),
  };
}
