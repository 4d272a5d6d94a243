import type { ItemFilter } from '../../domain/connect/filter.js';
import { AppError, unauthorized } from '../../errors/app-error.js';
import type { CentralClient, ConnectCall } from '../central/central-client.js';
import type { SyncState } from './sync-state.js';

/** The calls a node answers from its replica (`nodeReads`, node-reads.ts). */
export type NodeReads = Pick<
  CentralClient,
  'listVaults' | 'getVault' | 'listItems' | 'getItem' | 'listFiles' | 'getFile' | 'fileContent'
>;

/** The calls that go to the central service: writes, and the account's activity trail. */
export type CentralWrites = Pick<
  CentralClient,
  'createItem' | 'replaceItem' | 'patchItem' | 'deleteItem' | 'addFile' | 'activity'
>;

export interface NodeClientOptions {
  reads: NodeReads;
  /** The central service over HTTP (httpCentral with `onRecords` applying to the replica). */
  central: CentralWrites;
  /** Where the node stands now. */
  state: () => SyncState;
  /** The server was deleted centrally: nothing is served any more. */
  gone: () => boolean;
}

/** Reads refused: the replica is too old (or absent) to answer from. */
export const replicaNotSynced = (message: string) =>
  new AppError(503, 'replica_not_synced', `${message}; reads are refused until it is in sync again`, {
    expose: true,
  });

const serverGone = () =>
  unauthorized(
    'this Connect server was deleted on the central service (or its credentials were replaced): its replica is wiped and it serves nothing any more',
  );

/** A write the central service could not take: say that reads still work. */
function centralDown(error: unknown): never {
  if (error instanceof AppError && error.code === 'central_unavailable') {
    throw new AppError(
      503,
      'central_unavailable',
      `${error.message}. Writes and the activity trail need the central service; this Connect server keeps serving reads from its replica`,
      { cause: error, expose: true },
    );
  }
  throw error;
}

/**
 * The CentralClient of a standalone node (`keyhold connect` with a replica): reads are answered
 * from the local replica, as long as the sync state allows (`SYNCED` or `STALE` within
 * `--max-staleness`), else 503 `replica_not_synced` naming since when; writes and activity go to
 * the central service, and answer 503 `central_unavailable` when it cannot be reached. Once the
 * server is deleted centrally, every call is 401.
 */
export function nodeCentral(options: NodeClientOptions): CentralClient {
  const { reads, central } = options;
  const gate = () => {
    if (options.gone()) throw serverGone();
    const state = options.state();
    if (!state.serving) throw replicaNotSynced(state.message ?? 'this Connect server is not in sync');
  };
  const read =
    <A extends unknown[], R>(fn: (call: ConnectCall, ...args: A) => Promise<R>) =>
    async (call: ConnectCall, ...args: A): Promise<R> => {
      gate();
      return fn(call, ...args);
    };
  const write =
    <A extends unknown[], R>(fn: (call: ConnectCall, ...args: A) => Promise<R>) =>
    async (call: ConnectCall, ...args: A): Promise<R> => {
      if (options.gone()) throw serverGone();
      try {
        return await fn(call, ...args);
      } catch (error) {
        return centralDown(error);
      }
    };
  return {
    listVaults: read((call) => reads.listVaults(call)),
    getVault: read((call, vaultId: string) => reads.getVault(call, vaultId)),
    listItems: read((call, vaultId: string, filter?: ItemFilter) => reads.listItems(call, vaultId, filter)),
    getItem: read((call, vaultId: string, itemId: string) => reads.getItem(call, vaultId, itemId)),
    listFiles: read((call, vaultId: string, itemId: string) => reads.listFiles(call, vaultId, itemId)),
    getFile: read((call, vaultId: string, itemId: string, fileId: string) =>
      reads.getFile(call, vaultId, itemId, fileId),
    ),
    fileContent: read((call, vaultId: string, itemId: string, fileId: string) =>
      reads.fileContent(call, vaultId, itemId, fileId),
    ),
    createItem: write((call, vaultId: string, body: unknown) => central.createItem(call, vaultId, body)),
    replaceItem: write((call, vaultId: string, itemId: string, body: unknown) =>
      central.replaceItem(call, vaultId, itemId, body),
    ),
    patchItem: write((call, vaultId: string, itemId: string, operations: unknown) =>
      central.patchItem(call, vaultId, itemId, operations),
    ),
    deleteItem: write((call, vaultId: string, itemId: string) => central.deleteItem(call, vaultId, itemId)),
    addFile: write((call, vaultId: string, itemId: string, file: { name: string; content: Buffer }) =>
      central.addFile(call, vaultId, itemId, file),
    ),
    activity: write((call, page: { limit: number; offset: number }) => central.activity(call, page)),
  };
}
