import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type { AuditEventInput } from '../ports.js';
import { AUDIT_COLUMNS, toAuditValues } from '../sql/audit.js';
import { AUDIT_THREAD_SOURCE } from './audit-thread.js';

/** How long events of one turn may gather before they go to the writer thread. */
const MAX_QUEUED_MS = 1;

interface Waiting {
  resolve: (seq: number) => void;
  reject: (error: unknown) => void;
}

/** Rows of one table, each its values in `columns` order. */
export interface TableRows {
  table: string;
  columns: readonly string[];
  rows: unknown[][];
}

interface Unit {
  inserts: TableRows[];
  events: unknown[][];
}

export interface AuditWriter {
  /** Resolves once the event is committed to disk, with its row's rowid (`seq`); rejects if it is not. */
  append(event: AuditEventInput): Promise<number>;
  /**
   * Inserts `rows` and `events` in the thread's next commit, all or none (a savepoint of their
   * own: if one of them fails, say a foreign key names a row since deleted, only they are rolled
   * back); resolves once they are committed to disk, rejects if they are not.
   */
  appendWith(events: readonly AuditEventInput[], rows: readonly TableRows[]): Promise<void>;
  /**
   * Deletes the rows up to `seq` (a table with a `seq` key: a node's outbox) in the thread's next
   * commit, with the events appended meanwhile. Not awaited and not durable by itself: a caller
   * must not need the rows gone (the outbox skips them in memory; after a crash they are shipped
   * again and the central service keeps each once).
   */
  discardThrough(seq: number): void;
  /** Commits what is queued, then stops the thread. */
  close(): Promise<void>;
}

/**
 * Commits the audit events of secret reads on a thread of its own, over a second connection to
 * the same SQLite file. The main thread's SQLite driver is synchronous: committing there stalled
 * every request for the length of an fsync (and of any WAL checkpoint the commit ran), once per
 * event-loop turn. Here the commit overlaps the next turn's work instead.
 *
 * Fail-closed is unchanged: each `append` still resolves only after the commit that holds its
 * event, and rejects when that commit fails or the thread dies. Events appended by one callback
 * and the promise continuations it sets off go to the thread as one message; the thread commits
 * together whatever arrived while it was busy.
 *
 * `table` is the table the events go to, with the audit_events columns (AUDIT_COLUMNS): the
 * central trail, or a standalone Connect node's outbox (connect-server/node/sqlite-replica.ts).
 *
 * The thread starts with the first event (most storages never audit a read, and starting a
 * thread costs tens of milliseconds), and again after it died.
 */
export function auditWriter(file: string, table = 'audit_events'): AuditWriter {
  const driver = createRequire(import.meta.url).resolve('better-sqlite3');
  let worker: Worker | undefined;
  let exited: Promise<void> = Promise.resolve();
  let closed = false;
  let nextId = 0;
  let queue:
    | {
        rows: unknown[][];
        waiting: Waiting[];
        since: number;
        discard?: number;
        units: Unit[];
        unitsWaiting: Waiting[];
      }
    | undefined;
  const inFlight = new Map<number, { waiting: Waiting[]; unitsWaiting: Waiting[] }>();

  const failAll = (error: unknown) => {
    for (const { waiting, unitsWaiting } of inFlight.values())
      for (const w of [...waiting, ...unitsWaiting]) w.reject(error);
    inFlight.clear();
  };

  const start = (): Worker => {
    const w = new Worker(AUDIT_THREAD_SOURCE, {
      eval: true,
      workerData: { driver, file, table, columns: AUDIT_COLUMNS },
    });
    // Referenced only while a commit is awaited: an idle writer must not keep the process up.
    w.unref();
    w.on(
      'message',
      (done: {
        ids: number[];
        firsts?: number[];
        failedUnits?: [number, number, string][];
        error?: string;
      }) => {
        const error = done.error === undefined ? undefined : new Error(`audit commit failed: ${done.error}`);
        const unitErrors = new Map(
          (done.failedUnits ?? []).map(([id, unit, message]) => [`${id}/${unit}`, message] as const),
        );
        for (const [i, id] of done.ids.entries()) {
          // A batch's rows are inserted one after the other by the only writer: consecutive rowids.
          const first = done.firsts?.[i] ?? 0;
          const { waiting, unitsWaiting } = inFlight.get(id) ?? { waiting: [], unitsWaiting: [] };
          for (const [n, w] of waiting.entries()) {
            if (error) w.reject(error);
            else w.resolve(first + n);
          }
          for (const [n, w] of unitsWaiting.entries()) {
            const failed = unitErrors.get(`${id}/${n}`);
            if (error) w.reject(error);
            else if (failed !== undefined) w.reject(new Error(`audit commit failed: ${failed}`));
            else w.resolve(0);
          }
          inFlight.delete(id);
        }
        if (inFlight.size === 0) w.unref();
      },
    );
    w.on('error', (error) => failAll(error));
    exited = new Promise((resolve) =>
      w.once('exit', (code) => {
        failAll(new Error(`the audit writer thread exited (code ${code})`));
        if (worker === w) worker = undefined;
        resolve();
      }),
    );
    return w;
  };

  const send = () => {
    const batch = queue;
    queue = undefined;
    if (!batch) return;
    const id = nextId++;
    inFlight.set(id, { waiting: batch.waiting, unitsWaiting: batch.unitsWaiting });
    try {
      worker ??= start();
      worker.ref();
      worker.postMessage({
        id,
        rows: batch.rows,
        ...(batch.discard === undefined ? {} : { discard: batch.discard }),
        ...(batch.units.length === 0 ? {} : { units: batch.units }),
      });
    } catch (error) {
      failAll(error);
    }
  };

  /** The queue of this turn, started if there is none. */
  const queued = (now: number) => {
    if (!queue) {
      queue = { rows: [], waiting: [], since: now, units: [], unitsWaiting: [] };
      // Once the running callback and every promise continuation it set off are done: the
      // Connect calls of one turn run together (connect-server/central/end-of-turn.ts), so all of
      // their events go in one message, without waiting for the next turn's I/O first.
      process.nextTick(send);
    }
    return queue;
  };
  // A long turn sends what it has every millisecond or so: the thread commits that while this
  // thread works on, instead of every request of the turn waiting for one commit that starts
  // only when the turn is over (the event loop idled meanwhile).
  const sendIfLong = (q: NonNullable<typeof queue>, now: number) => {
    if (now - q.since >= MAX_QUEUED_MS) send();
  };

  return {
    append(event) {
      if (closed) return Promise.reject(new Error('the audit writer is closed'));
      return new Promise<number>((resolve, reject) => {
        const now = performance.now();
        const q = queued(now);
        q.rows.push(toAuditValues(event));
        q.waiting.push({ resolve, reject });
        sendIfLong(q, now);
      });
    },
    appendWith(events, rows) {
      if (closed) return Promise.reject(new Error('the audit writer is closed'));
      return new Promise<void>((resolve, reject) => {
        const now = performance.now();
        const q = queued(now);
        q.units.push({ inserts: [...rows], events: events.map(toAuditValues) });
        q.unitsWaiting.push({ resolve: () => resolve(), reject });
        sendIfLong(q, now);
      });
    },
    discardThrough(seq) {
      if (closed) return;
      if (!queue) {
        queue = { rows: [], waiting: [], since: performance.now(), units: [], unitsWaiting: [] };
        process.nextTick(send);
      }
      queue.discard = Math.max(queue.discard ?? 0, seq);
    },
    async close() {
      closed = true;
      send();
      worker?.ref();
      worker?.postMessage({ close: true });
      await exited;
    },
  };
}
