import type { AuditResult, AuditStore } from '../../storage/ports.js';

/** How long audit events are kept, in days; 0 keeps them for ever. */
export interface AuditRetention {
  /**
   * Events of authenticated callers' actions: allowed (SUCCESS) and permitted writes that failed
   * (FAILURE), which only a caller holding a valid credential can cause.
   */
  successDays: number;
  /** Refusals (result DENY), which anyone who can reach a port can cause: kept for less. */
  refusalDays: number;
}

/**
 * Events deleted per statement. Each batch is one short write on the shared connection; between
 * batches the event loop turns, so requests (and the audit writer thread) take the write lock
 * in between and pruning a large backlog never stalls them for long.
 */
export const PRUNE_BATCH = 500;

const DAY_MS = 86_400_000;

/**
 * Deletes the events older than their retention allows, refusals by their own window and the
 * actions of authenticated callers (successes and failures) by theirs, in batches of
 * `PRUNE_BATCH`; answers how many of each result it deleted.
 */
export async function pruneAudit(
  store: Pick<AuditStore, 'prune'>,
  retention: AuditRetention,
  now: Date = new Date(),
): Promise<{ success: number; failures: number; refusals: number }> {
  const prune = async (result: AuditResult, days: number) => {
    if (days === 0) return 0;
    const before = new Date(now.getTime() - days * DAY_MS).toISOString();
    let total = 0;
    for (;;) {
      const deleted = await store.prune(result, before, PRUNE_BATCH);
      total += deleted;
      if (deleted < PRUNE_BATCH) return total;
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  };
  return {
    refusals: await prune('DENY', retention.refusalDays),
    success: await prune('SUCCESS', retention.successDays),
    failures: await prune('FAILURE', retention.successDays),
  };
}
