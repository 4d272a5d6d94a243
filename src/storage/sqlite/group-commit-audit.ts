import type { Kysely } from 'kysely';
import type { AuditEventInput, AuditStore } from '../ports.js';
import { toAuditRow } from '../sql/audit.js';
import type { Database } from '../sql/tables.js';

/** Rows per multi-row INSERT: well under SQLite's bound-parameter limit (16 columns each). */
const MAX_BATCH = 500;

/**
 * Group commit for audit events written outside a transaction (the events of secret reads).
 * Each event must be durable before its request is answered, and with synchronous=FULL every
 * commit costs an fsync; so events that arrive while a commit is in flight wait and are written
 * together in the next one. Every caller still resolves only after the commit holding its event,
 * and a failed commit rejects every event in it: fail-closed is kept, per event.
 */
export function groupCommitAudit(db: Kysely<Database>, store: AuditStore): AuditStore {
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
        // Start the commit after this event-loop turn, not now: the SQLite driver is synchronous,
        // so an immediate flush would always commit alone. Deferred, every request that reached
        // its audit event in the same turn shares the commit (and its fsync).
        if (!flushing) {
          flushing = true;
          setImmediate(() => void flush());
        }
      }),
  };
}
