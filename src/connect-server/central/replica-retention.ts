import type { Stores } from '../../storage/ports.js';

/**
 * How long the replica change log keeps a change (docs/connect.md): a node away for longer than
 * this resumes with a reset (the whole state) rather than change by change.
 */
export const REPLICA_LOG_RETENTION_DAYS = 7;

/** Deletes the changes older than the retention; run hourly beside audit retention (main.ts). */
export function pruneReplicaLog(stores: Pick<Stores, 'replicaLog'>, now = Date.now()): Promise<number> {
  return stores.replicaLog.prune(new Date(now - REPLICA_LOG_RETENTION_DAYS * 86_400_000).toISOString());
}
