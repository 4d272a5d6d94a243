import type { AuditEventInput } from '../../storage/ports.js';
import type { ReplicaRecord } from '../wire/replica-protocol.js';

/**
 * A standalone Connect node's local copy of what its server may reach (see
 * wire/replica-protocol.ts for what the central service sends): kept in the node's data
 * directory, sealed so that only a holder of the server's credentials file can read it, and read
 * by the node's Connect API without a round trip to the central service.
 *
 * These are the seams between the parts of the node: the replica itself (what is stored and
 * how), the sync that feeds it from the central service's stream, and the outbox that takes the
 * audit events of the reads it serves.
 */

/** Where a replica stands in the central change log. */
export interface ReplicaPosition {
  epoch: string;
  /** Every change up to this one is applied. */
  seq: number;
}

export interface Replica {
  readonly serverId: string;
  readonly accountId: string;
  /** Undefined until the first complete state (a `reset` up to its `mark`) was applied. */
  position(): ReplicaPosition | undefined;
  /**
   * When the last mark was applied (epoch milliseconds), kept sealed with the position: what the
   * staleness bound counts from, across restarts. Undefined with no position.
   */
  lastMarkAt(): number | undefined;
  /**
   * Applies one record, in the order the stream sent it, durably before it resolves. A `reset`
   * starts gathering a whole new state; the next `mark` replaces the replica with it in one step
   * (until then reads see the old state). Any other `mark` records the position. Rejects a record
   * it cannot apply (a vault key that does not open, an item whose seal or head does not check):
   * the sync then drops the stream and resumes after the last mark, so nothing half-applied is
   * ever taken for the state of a mark.
   */
  receive(record: ReplicaRecord): Promise<void>;
  /** Forgets what a `reset` has gathered without its `mark` yet (the stream broke). */
  abandon(): void;
  /** Deletes everything it holds, outbox included: the server is gone. */
  wipe(): void;
  close(): Promise<void>;
}

/**
 * The node's audit events, durable before a secret is answered (fail-closed, as centrally), then
 * shipped to the central trail in order and dropped once the central service holds them.
 */
export interface Outbox {
  /** Random, made with the outbox: names it to the central service (exactly-once delivery). */
  readonly id: string;
  /** Resolves once the event is committed to disk; rejects if it is not. */
  append(event: AuditEventInput): Promise<void>;
  /** The oldest events not yet acknowledged, in order, with their outbox sequence numbers. */
  pending(limit: number): { seq: number; event: AuditEventInput }[];
  /** Drops every event up to `through`: the central service holds them. */
  acknowledge(through: number): void;
  /** How many events wait to be shipped. */
  size(): number;
}
