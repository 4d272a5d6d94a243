import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RemoteConnect, startRemoteConnect } from '../../src/connect-server/node/start.js';
import { replicaStore } from '../../src/connect-server/node/store.js';
import type { ConnectCredentials } from '../../src/domain/connect/server-service.js';
import { client, startTestApp, type TestApp } from '../helpers/app.js';

/**
 * A standalone node started in process against a real central service listening on a socket:
 * the replica, the stream, writes, revocation, an outage of the central service and a restart
 * during it, and the staleness bound.
 */

let t: TestApp;
let centralUrl: string;
let credentials: ConnectCredentials;
let vault: string;
let item: string;
let token: string;
let tokenId: string;
let dataDir: string;
let node: RemoteConnect | undefined;

const admin = () => client(t.app, t.token);
const ok = async <T>(res: { statusCode: number; body: string; json(): unknown }) => {
  if (res.statusCode >= 300) throw new Error(`${res.statusCode} ${res.body}`);
  return (res.statusCode === 204 ? undefined : res.json()) as T;
};

const startNode = (creds: ConnectCredentials, dir: string, maxStalenessMs = 3_600_000) =>
  startRemoteConnect({
    credentials: creds,
    central: centralUrl,
    host: '127.0.0.1',
    port: 0,
    logger: pino({ level: 'silent' }),
    limits: { json: 1 << 20, file: 1 << 20, inlineFile: 1 << 17 },
    node: { dataDir: dir, maxStalenessMs, store: replicaStore },
  });

async function start(maxStalenessMs = 3_600_000) {
  node = await startNode(credentials, dataDir, maxStalenessMs);
  return node;
}

const nodeGet = (path: string, bearer = token) =>
  fetch(`${node?.url}${path}`, { headers: { authorization: `Bearer ${bearer}` } });

async function until(check: () => Promise<boolean>, ms: number) {
  const started = Date.now();
  while (!(await check())) {
    if (Date.now() - started > ms) throw new Error(`not within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return Date.now() - started;
}

const password = async () => {
  const res = await nodeGet(`/v1/vaults/${vault}/items/${item}`);
  if (res.status !== 200) return `HTTP ${res.status}`;
  return ((await res.json()) as { fields: { purpose?: string; value?: string }[] }).fields.find(
    (f) => f.purpose === 'PASSWORD',
  )?.value;
};

beforeAll(async () => {
  t = await startTestApp();
  await t.app.listen({ host: '127.0.0.1', port: 0 });
  centralUrl = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
  vault = (await ok<{ id: string }>(await admin().post('/vaults', { name: 'edge' }))).id;
  item = (
    await ok<{ id: string }>(
      await admin().post(`/vaults/${vault}/items`, {
        title: 'db',
        fields: [{ purpose: 'PASSWORD', value: 'pw-1' }],
      }),
    )
  ).id;
  const server = await ok<{ id: string; credentials: ConnectCredentials }>(
    await admin().post('/servers', { name: 'edge', vaults: [vault] }),
  );
  credentials = { ...server.credentials, central: centralUrl };
  const issued = await ok<{ id: string; token: string }>(
    await admin().post(`/servers/${server.id}/tokens`, {
      name: 'app',
      vaults: [{ vaultId: vault, permissions: ['read', 'write'] }],
    }),
  );
  token = issued.token;
  tokenId = issued.id;
  dataDir = mkdtempSync(join(tmpdir(), 'keyhold-node-'));
  await start();
  await until(async () => node?.syncState?.().state === 'SYNCED', 5_000);
}, 30_000);

afterAll(async () => {
  await node?.close();
  await t?.close();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

describe('a standalone node with a real central service', () => {
  it('serves reads from its replica and reports SYNCED', async () => {
    expect(await password()).toBe('pw-1');
    const health = await nodeGet('/health');
    expect(health.status).toBe(200);
    expect(((await health.json()) as { dependencies: unknown[] }).dependencies).toEqual([
      { service: 'sync', status: 'SYNCED' },
    ]);
  });

  it('gets a write made centrally within 1 s', async () => {
    const current = await ok<{ version: number }>(await admin().get(`/vaults/${vault}/items/${item}`));
    await ok(
      await admin().put(`/vaults/${vault}/items/${item}`, {
        title: 'db',
        version: current.version,
        fields: [{ purpose: 'PASSWORD', value: 'pw-2' }],
      }),
    );
    const ms = await until(async () => (await password()) === 'pw-2', 1_000);
    console.log(`central write reached the node in ${ms} ms`);
    expect(ms).toBeLessThan(1_000);
  });

  it('reads its own write at once', async () => {
    const created = await fetch(`${node?.url}/v1/vaults/${vault}/items`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ title: 'new', category: 'LOGIN', vault: { id: vault } }),
    });
    expect(created.status).toBe(200);
    const { id, version } = (await created.json()) as { id: string; version: number };
    const read = await nodeGet(`/v1/vaults/${vault}/items/${id}`);
    expect(read.status).toBe(200);
    expect(await read.json()).toMatchObject({ id, title: 'new', version });
    // A replace too: the very next read sees the new version, not the one the replica held.
    const replaced = await fetch(`${node?.url}/v1/vaults/${vault}/items/${id}`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ id, title: 'renamed', category: 'LOGIN', vault: { id: vault }, version }),
    });
    expect(replaced.status).toBe(200);
    const reread = await nodeGet(`/v1/vaults/${vault}/items/${id}`);
    expect(await reread.json()).toMatchObject({ id, title: 'renamed', version: version + 1 });
  });

  it('refuses a token revoked centrally within 1 s', async () => {
    const other = await ok<{ id: string; token: string }>(
      await admin().post(`/servers/${credentials.serverId}/tokens`, {
        name: 'short-lived',
        vaults: [{ vaultId: vault, permissions: ['read'] }],
      }),
    );
    // A new token reaches the node on its stream too: within 1 s, not at the admin API's answer.
    await until(async () => (await nodeGet(`/v1/vaults/${vault}`, other.token)).status === 200, 1_000);
    await ok(await admin().delete(`/tokens/${other.id}`));
    const ms = await until(
      async () => (await nodeGet(`/v1/vaults/${vault}`, other.token)).status === 401,
      1_000,
    );
    console.log(`revocation reached the node in ${ms} ms`);
    expect(ms).toBeLessThan(1_000);
  });

  it('ships its read events to the central trail, in order', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const res = await nodeGet(`/v1/vaults/${vault}/items/${item}`);
      expect(res.status).toBe(200);
      ids.push(res.headers.get('x-request-id') as string);
    }
    const ms = await until(async () => {
      const trail = (await admin().get('/audit?limit=100')).body;
      return ids.every((id) => trail.includes(id));
    }, 2_000);
    console.log(`read events reached the central trail in ${ms} ms`);
    const events = (await admin().get('/audit?limit=100')).json() as { requestId: string; seq: number }[];
    // Each read once (a shipment retried must not add it again), in the order they were served.
    expect(ids.map((id) => events.filter((e) => e.requestId === id).length)).toEqual([1, 1, 1]);
    const seqs = ids.map((id) => events.find((e) => e.requestId === id)?.seq ?? -1);
    expect([...seqs].sort((a, b) => a - b)).toEqual(seqs);
  });

  it('wipes its replica and stops serving when its server is deleted', async () => {
    const server2 = await ok<{ id: string; credentials: ConnectCredentials }>(
      await admin().post('/servers', { name: 'doomed', vaults: [vault] }),
    );
    const issued = await ok<{ token: string }>(
      await admin().post(`/servers/${server2.id}/tokens`, {
        name: 'app',
        vaults: [{ vaultId: vault, permissions: ['read'] }],
      }),
    );
    const dir2 = mkdtempSync(join(tmpdir(), 'keyhold-node-'));
    const node2 = await startNode({ ...server2.credentials, central: centralUrl }, dir2);
    try {
      await until(async () => node2.syncState?.().state === 'SYNCED', 5_000);
      const read = () =>
        fetch(`${node2.url}/v1/vaults/${vault}`, { headers: { authorization: `Bearer ${issued.token}` } });
      expect((await read()).status).toBe(200);
      const deletedAt = Date.now();
      await ok(await admin().delete(`/servers/${server2.id}`));
      await node2.serverGone;
      console.log(`server deletion reached the node in ${Date.now() - deletedAt} ms`);
      expect(Date.now() - deletedAt).toBeLessThan(1_000);
      const after = await read();
      expect(after.status).toBe(401);
      expect(((await after.json()) as { message: string }).message).toMatch(/deleted on the central service/);
      expect((await fetch(`${node2.url}/health`)).status).toBe(503);
      expect(readdirSync(dir2).filter((f) => f.startsWith('replica'))).toEqual([]);
    } finally {
      await node2.close();
      rmSync(dir2, { recursive: true, force: true });
    }
  });

  it('keeps serving reads with the central service stopped, answers writes 503, and after a restart too', async () => {
    const closing = t.app.close();
    t.app.server.closeAllConnections();
    await closing;
    await until(async () => node?.syncState?.().state === 'STALE', 20_000);
    expect(await password()).toBe('pw-2');
    const write = await fetch(`${node?.url}/v1/vaults/${vault}/items`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ title: 'x', category: 'LOGIN', vault: { id: vault } }),
    });
    expect(write.status).toBe(503);
    expect(((await write.json()) as { message: string }).message).toMatch(
      /keeps serving reads from its replica/,
    );
    const health = await nodeGet('/health');
    expect(health.status).toBe(200);
    expect(((await health.json()) as { dependencies: { status: string }[] }).dependencies[0]?.status).toBe(
      'STALE',
    );

    // Restarted while the central service is down: serves from the replica.
    await node?.close();
    await start();
    expect(await password()).toBe('pw-2');
    expect(tokenId).toBeTruthy();
  }, 30_000);

  it('refuses reads past --max-staleness', async () => {
    await node?.close();
    await start(1_000);
    // The last sync was a moment ago: served, then refused once the bound passes.
    await until(async () => (await nodeGet(`/v1/vaults/${vault}`)).status === 503, 5_000);
    const res = await nodeGet(`/v1/vaults/${vault}`);
    expect(((await res.json()) as { message: string }).message).toMatch(
      /has not heard from the central service since .*, longer than --max-staleness \(1s\) allows/,
    );
    expect((await nodeGet('/health')).status).toBe(503);
  });
});
