import type { Storage } from './ports.js';

/** Hears each audit append of a storage: when it starts, and when it is committed or fails. */
export interface AuditMeter {
  started(): void;
  /** `seconds` from the append to its answer; `committed` false when the append failed. */
  settled(seconds: number, committed: boolean): void;
}

/**
 * The storage with its audit appends metered: the events of secret reads, which the audit writer
 * commits in batches (SQLite's writer thread, PostgreSQL's batches) and each request awaits. The
 * appends started and not yet settled are the writer's queue; their time is its commit latency.
 * Events written inside a transaction (a mutation's) are committed with it and not counted here.
 */
export function meterAudit(storage: Storage, meter: AuditMeter): Storage {
  const append = storage.audit.append.bind(storage.audit);
  return {
    ...storage,
    audit: {
      ...storage.audit,
      append: async (event) => {
        const started = performance.now();
        meter.started();
        let committed = false;
        try {
          await append(event);
          committed = true;
        } finally {
          meter.settled((performance.now() - started) / 1000, committed);
        }
      },
    },
  };
}
