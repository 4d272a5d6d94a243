/**
 * Storage port: the replica change log (migration 0016), what the central service streams to
 * standalone Connect nodes (connect-server/wire/replica-protocol.ts).
 *
 * Changes are recorded by the storage layer itself (storage/changes/replicated-writes.ts), as the
 * last statements of the writing transaction, so no service can forget one.
 */

/** What a change touched: what a node is sent for it is read when it is sent. */
export const REPLICA_CHANGE_KINDS = ['item', 'vault', 'server', 'token', 'signing-key', 'account'] as const;
export type ReplicaChangeKind = (typeof REPLICA_CHANGE_KINDS)[number];

/**
 * A change as a store write describes it, from its arguments. An id the arguments lack is filled
 * in from the row named by `fill` when the change is appended; when that row no longer exists
 * (deleted later in the same transaction) the change is dropped, since the delete that removed the
 * row records its own.
 */
export interface ReplicaChangeNote {
  kind: ReplicaChangeKind;
  accountId?: string | undefined;
  vaultId?: string | undefined;
  itemId?: string | undefined;
  serverId?: string | undefined;
  /** A token's id, a signing key's kid, a file's id (for `fill: 'file'`). */
  subjectId?: string | undefined;
  /**
   * `vault`: the account from the vault `vaultId`; `item`: vault and account from the item
   * `itemId`; `file`: item, vault and account from the file `subjectId`; `server`: the account
   * from the server `serverId`; `token`: the server from the token `subjectId`.
   */
  fill?: 'vault' | 'item' | 'file' | 'server' | 'token' | undefined;
}

export interface ReplicaChange {
  seq: number;
  accountId: string;
  kind: ReplicaChangeKind;
  vaultId: string | null;
  itemId: string | null;
  serverId: string | null;
  subjectId: string | null;
  /** When it was recorded (ISO). */
  at: string;
}

export interface ReplicaPosition {
  /** The log's identity: a restored database starts a new one. */
  epoch: string;
  /** The last sequence number given (0: none yet). */
  seq: number;
  /** The highest sequence number already pruned: a node behind it must start over. */
  prunedThrough: number;
}

export interface ReplicaLogStore {
  position(): Promise<ReplicaPosition>;
  /** The account's changes with `seq > after`, in order, at most `limit`. */
  changesAfter(accountId: string, after: number, limit: number): Promise<ReplicaChange[]>;
  /** Every account's changes with `seq > after`, in order, at most `limit` (the stream pump). */
  since(after: number, limit: number): Promise<ReplicaChange[]>;
  /**
   * Deletes the changes recorded before `before` (ISO), and every change with a lower seq, and
   * moves `pruned_through` to the highest seq deleted. Returns how many were deleted.
   */
  prune(before: string): Promise<number>;
  /**
   * Appends `notes` with consecutive seqs (the storage layer calls this as the last statements of
   * a writing transaction, before the change counter; services never do).
   */
  append(notes: readonly ReplicaChangeNote[], at: string): Promise<number>;
}

/**
 * Per server and node outbox, the highest audit event stored from it (migration 0016), so that a
 * shipment sent twice, or twice at once, is stored once.
 */
export interface NodeOutboxStore {
  /** The outbox's mark (0 for one never heard of). */
  through(serverId: string, outboxId: string): Promise<number>;
  /**
   * Moves the mark from `from` to `to` if it is still at `from`, holding it until the
   * transaction ends (a concurrent move of the same outbox waits, then finds it moved). False
   * when another shipment moved it first.
   */
  advance(serverId: string, outboxId: string, from: number, to: number): Promise<boolean>;
}
