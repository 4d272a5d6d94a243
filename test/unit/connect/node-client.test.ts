import { describe, expect, it } from 'vitest';
import type { CentralClient } from '../../../src/connect-server/central/central-client.js';
import { nodeCentral } from '../../../src/connect-server/node/node-client.js';
import type { SyncState } from '../../../src/connect-server/node/sync-state.js';
import { AppError, forbidden } from '../../../src/errors/app-error.js';

/** The node's CentralClient: which calls the sync state lets through, and what it says otherwise. */

const call = { token: 't', requestId: 'r', ip: null, userAgent: null };
const calls: string[] = [];
const reads = {
  listVaults: async () => {
    calls.push('read');
    return [];
  },
} as unknown as CentralClient;
const central = {
  deleteItem: async (_c: unknown, vaultId: string) => {
    calls.push('write');
    if (vaultId === 'down')
      throw new AppError(503, 'central_unavailable', 'The central service is unavailable: ECONNREFUSED');
    if (vaultId === 'forbidden') throw forbidden('no write permission');
  },
} as unknown as CentralClient;

function client(state: SyncState, gone = false) {
  return nodeCentral({ reads, central, state: () => state, gone: () => gone });
}

describe('the node client', () => {
  it('serves reads SYNCED and STALE, refuses them NOT_SYNCED with the reason', async () => {
    await expect(client({ state: 'SYNCED', serving: true }).listVaults(call)).resolves.toEqual([]);
    await expect(
      client({ state: 'STALE', serving: true, message: 'stale since …' }).listVaults(call),
    ).resolves.toEqual([]);
    const refused = client({
      state: 'NOT_SYNCED',
      serving: false,
      message: 'not heard since then',
    }).listVaults(call);
    await expect(refused).rejects.toMatchObject({
      status: 503,
      code: 'replica_not_synced',
      message: 'not heard since then; reads are refused until it is in sync again',
    });
  });

  it('sends writes whatever the sync state, and says reads go on when the central service is down', async () => {
    const node = client({ state: 'NOT_SYNCED', serving: false });
    await expect(node.deleteItem(call, 'v', 'i')).resolves.toBeUndefined();
    await expect(node.deleteItem(call, 'down', 'i')).rejects.toMatchObject({
      status: 503,
      code: 'central_unavailable',
      message: expect.stringMatching(/ECONNREFUSED\. Writes .* keeps serving reads from its replica$/),
    });
    // Other refusals pass through as the central service gave them.
    await expect(node.deleteItem(call, 'forbidden', 'i')).rejects.toMatchObject({
      status: 403,
      message: 'no write permission',
    });
  });

  it('answers everything 401 once the server is gone, without asking anyone', async () => {
    calls.length = 0;
    const node = client({ state: 'SYNCED', serving: true }, true);
    await expect(node.listVaults(call)).rejects.toMatchObject({
      status: 401,
      message: expect.stringMatching(/deleted/),
    });
    await expect(node.deleteItem(call, 'v', 'i')).rejects.toMatchObject({ status: 401 });
    expect(calls).toEqual([]);
  });
});
