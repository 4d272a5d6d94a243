import { nodeReads } from './node-reads.js';
import { openReplica, type SqliteReplica } from './sqlite-replica.js';
import type { NodeStore } from './start.js';

/** The node's store: the SQLite replica of the data directory, and the reads served from it. */
export const replicaStore: NodeStore<SqliteReplica> = {
  open: async ({ dataDir, credentials }) => {
    const replica = await openReplica({ dataDir, credentials });
    return { replica, outbox: replica.outbox };
  },
  reads: ({ replica, outbox, logger }) =>
    nodeReads(replica, outbox, {
      onSummaryError: (error, count) =>
        logger.error(
          { err: error, count },
          'a summary of refused requests could not be recorded in the outbox',
        ),
    }),
};
