import type { AuditEventInput } from '../../storage/ports.js';
import type { AuditWriter } from '../../storage/sqlite/audit-writer.js';
import type { Outbox } from './replica.js';
import type { replicaReads } from './replica-schema.js';

/** Committed outbox events kept in memory for shipment (`tail` in openReplica). */
const TAIL_EVENTS = 10_000;

/**
 * The replica's audit outbox: appended by the audit writer thread (durable before `append`
 * resolves), shipped from memory while it can, acknowledged without a commit on this thread.
 */
export function replicaOutbox(options: {
  id: string;
  writer: AuditWriter;
  reads: Pick<ReturnType<typeof replicaReads>, 'outbox' | 'outboxSize' | 'outboxAcknowledged'>;
  /** Throws once the replica is closed or wiped. */
  usable(): void;
  /** Whether the replica is neither closed nor wiped. */
  isOpen(): boolean;
}): Outbox & { forget(): void } {
  const { id, writer, reads, usable, isOpen } = options;
  const fromOutboxRow = (row: Record<string, unknown>): AuditEventInput => {
    const count = row.count as number;
    return {
      occurredAt: row.occurred_at as string,
      accountId: row.account_id as string | null,
      actorType: row.actor_type as string,
      actorId: row.actor_id as string,
      tokenId: row.token_id as string | null,
      action: row.action as AuditEventInput['action'],
      resourceType: row.resource_type as AuditEventInput['resourceType'],
      resourceId: row.resource_id as string | null,
      vaultId: row.vault_id as string | null,
      itemId: row.item_id as string | null,
      itemVersion: row.item_version as number | null,
      result: row.result as AuditEventInput['result'],
      requestId: row.request_id as string | null,
      ip: row.ip as string | null,
      userAgent: row.user_agent as string | null,
      ...(count === 1 ? {} : { count }),
    };
  };

  /**
   * The outbox rows up to here are acknowledged: skipped by `pending` and `size` at once, and
   * deleted by the writer thread in its next commit. Deleted here, on the serving thread's
   * connection, each acknowledgement was a commit of its own: an fsync on the event loop, and a
   * wait for the SQLite write lock that the writer thread holds through most of each of its
   * commits, spent in SQLite's busy handler, which sleeps the whole thread (1, 2, 5 ms, ...).
   * An acknowledgement lost in a crash only ships those events again, which the central service
   * keeps once (it knows the outbox's sequence numbers up to which it holds them).
   */
  let acknowledgedThrough = reads.outboxAcknowledged.get()?.through ?? 0;
  /**
   * The events appended by this process and committed, by seq, oldest first: what `pending`
   * answers while they reach back to the first unacknowledged seq, instead of reading the rows
   * back from SQLite on this thread (a shipment's 1,000 rows took ~4 ms of the serving thread,
   * ~5% of its time under load). Events of an earlier run, or more than TAIL_EVENTS behind,
   * are read from the file.
   */
  const tail: { seq: number; event: AuditEventInput }[] = [];
  let tailStart = 0;
  const outbox: Outbox = {
    id,
    append: async (event) => {
      if (!isOpen()) throw new Error('the outbox is closed');
      // The writer maps the event to its row values on this thread, as it takes it: an event it
      // could not map fails its caller here (mapped twice, it cost every read a copy for nothing).
      const seq = await writer.append(event);
      tail.push({ seq, event });
      if (tail.length - tailStart > TAIL_EVENTS) tailStart++;
      // Compacted now and then, not per event: shifting the front of a long array is a copy.
      if (tailStart > TAIL_EVENTS) {
        tail.splice(0, tailStart);
        tailStart = 0;
      }
    },
    pending: (limit) => {
      usable();
      while (tailStart < tail.length && (tail[tailStart] as { seq: number }).seq <= acknowledgedThrough)
        tailStart++;
      const first = tail[tailStart];
      if (first && first.seq === acknowledgedThrough + 1) return tail.slice(tailStart, tailStart + limit);
      return reads.outbox
        .all(acknowledgedThrough, limit)
        .map((row) => ({ seq: row.seq, event: fromOutboxRow(row) }));
    },
    acknowledge: (through) => {
      usable();
      if (through <= acknowledgedThrough) return;
      acknowledgedThrough = through;
      writer.discardThrough(through);
    },
    size: () => {
      usable();
      return reads.outboxSize.get(acknowledgedThrough)?.n ?? 0;
    },
  };
  /** The events held in memory go (a wipe: the rows are deleted with the file). */
  const forget = () => {
    tail.length = 0;
    tailStart = 0;
  };
  return { ...outbox, forget };
}
