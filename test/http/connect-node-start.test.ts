import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type { NodeReads } from '../../src/connect-server/node/node-client.js';
import type { Outbox, Replica, ReplicaPosition } from '../../src/connect-server/node/replica.js';
import { type NodeStore, startRemoteConnect } from '../../src/connect-server/node/start.js';
import type { ConnectCredentials } from '../../src/domain/connect/server-service.js';
import type { AuditEventInput } from '../../src/storage/ports.js';

/**
 * A standalone node's lifecycle over real HTTP, with the central service unreachable (a port
 * nobody listens on): what it serves from its replica and for how long, what it says of writes,
 * and what `/health` reports. The store is a stand-in recording what it is asked (the real one,
 * sqlite-replica.ts, is tested in test/unit/connect/replica.test.ts); the node with a real central
 * service is
 * test/http/connect-node.test.ts and, over real processes, test/e2e/connect-node-outage.test.ts.
 */

const SERVER = 's'.repeat(26);
const ACCOUNT = 'a'.repeat(26);
const credentials = {
  kind: 'keyhold-connect-credentials',
  version: 2,
  serverId: SERVER,
  accountId: ACCOUNT,
  serverSecret: `khsrv_${'x'.repeat(43)}`,
  central: null,
} as unknown as ConnectCredentials;

class StubReplica implements Replica {
  readonly serverId = SERVER;
  readonly accountId = ACCOUNT;
  closed = 0;
  constructor(
    private at: ReplicaPosition | undefined,
    private markedAt?: Date,
  ) {}
  position() {
    return this.at;
  }
  lastMarkAt() {
    return this.at ? this.markedAt?.getTime() : undefined;
  }
  async receive() {}
  abandon() {}
  wipe() {
    this.at = undefined;
  }
  async close() {
    this.closed++;
  }
}

class StubOutbox implements Outbox {
  readonly id = 'outbox-aaaaaaaaaaaaaaaa';
  async append(_event: AuditEventInput) {}
  pending() {
    return [];
  }
  acknowledge() {}
  size() {
    return 0;
  }
}

const VAULT = {
  id: 'v'.repeat(26),
  name: 'Prod',
  description: '',
  attributeVersion: 1,
  contentVersion: 1,
  items: 0,
  type: 'USER_CREATED',
  createdAt: '2026-12-07T04:00:00Z',
  updatedAt: '2026-12-07T04:00:00Z',
};

function store(replica: StubReplica): NodeStore {
  const reads = {
    listVaults: async () => [VAULT],
  } as unknown as NodeReads;
  return { open: async () => ({ replica, outbox: new StubOutbox() }), reads: () => reads };
}

/** A port with nobody listening on it. */
async function deadPort(): Promise<number> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const dirs: string[] = [];
const nodes: { close(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(nodes.splice(0).map((n) => n.close()));
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

async function startNode(options: { replica: StubReplica; maxStalenessMs?: number }) {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'keyhold-node-'));
  dirs.push(dataDir);
  const node = await startRemoteConnect({
    credentials,
    central: `http://127.0.0.1:${await deadPort()}`,
    host: '127.0.0.1',
    port: 0,
    logger: pino({ level: 'silent' }),
    limits: { json: 1 << 20, file: 1 << 20, inlineFile: 1 << 16 },
    node: { dataDir, maxStalenessMs: options.maxStalenessMs ?? 3_600_000, store: store(options.replica) },
  });
  nodes.push(node);
  return { node, dataDir };
}

const get = async (url: string) => {
  const res = await fetch(url, { headers: { authorization: 'Bearer t' } });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
};

describe('a standalone node with the central service down', () => {
  it('starts from its replica, serves reads while within --max-staleness, answers writes 503, reports STALE', async () => {
    const lastSync = new Date(Date.now() - 10 * 60_000);
    const replica = new StubReplica({ epoch: 'epoch-aaaaaaaaaaaaaaaa', seq: 9 }, lastSync);
    const { node } = await startNode({ replica });
    expect((await get(`${node.url}/v1/vaults`)).body).toEqual([VAULT]);
    const health = await get(`${node.url}/health`);
    expect(health.status).toBe(200);
    expect(health.body.dependencies).toEqual([
      { service: 'sync', status: 'STALE', message: `stale since ${lastSync.toISOString()}` },
    ]);
    const write = await fetch(`${node.url}/v1/vaults/${VAULT.id}/items`, {
      method: 'POST',
      headers: { authorization: 'Bearer t', 'content-type': 'application/json' },
      body: JSON.stringify({ title: 'x', category: 'LOGIN', vault: { id: VAULT.id } }),
    });
    expect(write.status).toBe(503);
    const { message } = (await write.json()) as { message: string };
    expect(message).toMatch(
      /^The central service is unavailable: ECONNREFUSED\. Writes and the activity trail need the central service; this Connect server keeps serving reads from its replica$/,
    );
    await node.close();
    expect(replica.closed).toBe(1);
  });

  it('refuses reads with 503 once the last sync is older than --max-staleness', async () => {
    const lastSync = new Date(Date.now() - 2 * 3_600_000);
    const { node } = await startNode({
      replica: new StubReplica({ epoch: 'epoch-aaaaaaaaaaaaaaaa', seq: 9 }, lastSync),
    });
    const read = await get(`${node.url}/v1/vaults`);
    expect(read).toEqual({
      status: 503,
      body: {
        status: 503,
        message: `this Connect server has not heard from the central service since ${lastSync.toISOString()}, longer than --max-staleness (1h) allows; reads are refused until it is in sync again`,
      },
    });
    const health = await get(`${node.url}/v1/health`);
    expect(health.status).toBe(503);
    expect(health.body.dependencies).toMatchObject([{ service: 'sync', status: 'NOT_SYNCED' }]);
  });

  it('with --max-staleness 0 refuses reads at once', async () => {
    const { node } = await startNode({
      replica: new StubReplica({ epoch: 'epoch-aaaaaaaaaaaaaaaa', seq: 9 }, new Date(Date.now() - 1_000)),
      maxStalenessMs: 0,
    });
    expect((await get(`${node.url}/v1/vaults`)).status).toBe(503);
    expect((await get(`${node.url}/health`)).body.dependencies).toMatchObject([{ status: 'NOT_SYNCED' }]);
  });

  it('with a replica but no record of when it last synced, refuses reads (never assumes it is fresh)', async () => {
    const { node } = await startNode({
      replica: new StubReplica({ epoch: 'epoch-aaaaaaaaaaaaaaaa', seq: 9 }),
    });
    expect((await get(`${node.url}/v1/vaults`)).status).toBe(503);
  });

  it('fails at start without a replica to serve from', async () => {
    const replica = new StubReplica(undefined);
    await expect(startNode({ replica })).rejects.toThrow(
      /refused or did not answer: The central service is unavailable: ECONNREFUSED \(the data directory holds no replica yet to serve from meanwhile\)/,
    );
    expect(replica.closed).toBe(1);
  });
});
