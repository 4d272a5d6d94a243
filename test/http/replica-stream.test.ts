import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReplicaRecord } from '../../src/connect-server/wire/replica-protocol.js';
import { newId } from '../../src/crypto/ids.js';
import { hashSecret, newBearerSecret } from '../../src/crypto/secrets.js';
import { listenLocally, startTestApp, type TestApp } from '../helpers/app.js';
import { adminSetup } from '../helpers/connect-app.js';
import { openStream, type SseStream } from '../helpers/sse.js';

/** The central end of the replica stream over real HTTP (connect-server/wire/replica-protocol.ts). */
let t: TestApp;
let base: string;
let setup: ReturnType<typeof adminSetup>;
let onServer: string;
let second: string;
let offServer: string;
let serverId: string;
let secret: string;
const opened: SseStream[] = [];

const stream = async (query: Record<string, string | number> = {}, s = secret) => {
  const st = await openStream(base, s, query);
  opened.push(st);
  return st;
};
const login = {
  title: 'db',
  category: 'LOGIN',
  fields: [{ label: 'password', value: 'hunter2-top-secret', type: 'CONCEALED' }],
};
const lastMark = (s: SseStream) => {
  const marks = s.records.filter((r) => r.type === 'mark');
  return marks.at(-1) as Extract<ReplicaRecord, { type: 'mark' }>;
};

beforeAll(async () => {
  t = await startTestApp();
  base = await listenLocally(t);
  setup = adminSetup(t);
  onServer = (await setup.vault('Production')).id;
  second = (await setup.vault('Staging')).id;
  offServer = (await setup.vault('Private')).id;
  await setup.item(onServer, login);
  await setup.item(offServer, { ...login, title: 'hidden' });
  const created = await setup.server([onServer, second]);
  serverId = created.id;
  secret = created.credentials.serverSecret;
}, 60_000);
afterAll(async () => {
  for (const s of opened) s.close();
  await t.close();
});

const noSecretsIn = (s: SseStream) => {
  const text = s.raw.join('\n');
  expect(text).not.toContain(secret);
  expect(text).not.toContain('hunter2-top-secret');
  expect(text).not.toContain(offServer);
};

describe('replica stream', () => {
  it('refuses an unknown secret with 401, a server without a key pair with 409', async () => {
    const bad = await stream({}, newBearerSecret('khsrv'));
    expect(bad.status).toBe(401);
    expect(bad.body).not.toContain('khsrv_');
    const legacySecret = newBearerSecret('khsrv');
    await t.storage.connectServers.insert(
      {
        id: newId(),
        accountId: t.accountId,
        name: 'old',
        secretHash: hashSecret(legacySecret),
        createdAt: new Date().toISOString(),
        publicKey: null,
      },
      [onServer],
    );
    const legacy = await stream({}, legacySecret);
    expect(legacy.status).toBe(409);
    expect(legacy.body).toContain('keyhold server credentials');
    expect(legacy.body).not.toContain(legacySecret);
  });

  it('a first connect gets reset, the whole state and a mark; live writes arrive within 1 s; other vaults never', async () => {
    const s = await stream();
    expect(s.status).toBe(200);
    await s.waitFor((r) => r.type === 'mark');
    const types = s.records.map((r) => r.type);
    expect(types[0]).toBe('reset');
    expect(types.at(-1)).toBe('mark');
    const server = s.records.find((r) => r.type === 'server');
    expect(server?.type === 'server' && server.server.vaults.sort()).toEqual([onServer, second].sort());
    expect(s.records.filter((r) => r.type === 'vault')).toHaveLength(2);
    expect(s.records.filter((r) => r.type === 'item')).toHaveLength(1);
    expect(s.records.some((r) => r.type === 'signing-key')).toBe(true);

    // A write to a vault the server does not reach, then one it does: only the second arrives.
    await setup.item(offServer, { ...login, title: 'hidden 2' });
    const from = s.records.length;
    const started = performance.now();
    const item = await setup.item(onServer, { ...login, title: 'new' });
    const { at } = await s.waitFor((r) => r.type === 'item' && r.item.id === item.id, 2000, from);
    const latency = at - started;
    console.log(`item write → stream: ${latency.toFixed(1)} ms`);
    expect(latency).toBeLessThan(1000);
    await s.waitFor((r) => r.type === 'mark', 2000, from);

    // A token revoked reaches the stream within 1 s.
    const token = await setup.token(serverId, [{ vaultId: onServer, permissions: ['read'] }]);
    await s.waitFor((r) => r.type === 'token' && r.token.id === token.id && r.token.revokedAt === null, 2000);
    const beforeRevoke = s.records.length;
    const revokeStart = performance.now();
    expect((await setup.api.delete(`/tokens/${token.id}`)).statusCode).toBe(204);
    const revoked = await s.waitFor(
      (r) => r.type === 'token' && r.token.id === token.id && r.token.revokedAt !== null,
      2000,
      beforeRevoke,
    );
    console.log(`token revoke → stream: ${(revoked.at - revokeStart).toFixed(1)} ms`);
    expect(revoked.at - revokeStart).toBeLessThan(1000);
    expect(token.token).toBeTruthy();
    expect(s.raw.join('\n')).not.toContain(token.token);
    noSecretsIn(s);
    s.close();
    await s.closed;
  });

  it('resumes after a mark with only later changes; another epoch gets a reset', async () => {
    const s = await stream();
    await s.waitFor((r) => r.type === 'mark');
    const mark = lastMark(s);
    s.close();
    const item = await setup.item(onServer, { ...login, title: 'while away' });
    const resumed = await stream({ after: mark.seq, epoch: mark.epoch });
    await resumed.waitFor((r) => r.type === 'item' && r.item.id === item.id);
    await resumed.waitFor((r) => r.type === 'mark');
    expect(resumed.records.some((r) => r.type === 'reset')).toBe(false);
    expect(resumed.records.filter((r) => r.type === 'item')).toHaveLength(1);
    resumed.close();

    const other = await stream({ after: mark.seq, epoch: 'another-epoch-0123456789' });
    await other.waitFor((r) => r.type === 'mark');
    expect(other.records[0]?.type).toBe('reset');
    other.close();
    const ahead = await stream({ after: mark.seq + 1_000_000, epoch: mark.epoch });
    await ahead.waitFor((r) => r.type === 'mark');
    expect(ahead.records[0]?.type).toBe('reset');
    ahead.close();
  });

  it('sends heartbeat marks, and a disconnect frees the pump', async () => {
    const s = await stream();
    await s.waitFor((r) => r.type === 'mark');
    const n = s.records.length;
    expect(t.services.replicaStreams.connected).toBeGreaterThanOrEqual(1);
    await s.waitFor((r) => r.type === 'mark', 7000, n);
    s.close();
    await s.closed;
    const deadline = Date.now() + 2000;
    while (t.services.replicaStreams.connected > 0 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 20));
    expect(t.services.replicaStreams.connected).toBe(0);
  }, 15_000);

  it('a write RPC answers with the item record after the write', async () => {
    const token = await setup.token(serverId, [{ vaultId: onServer, permissions: ['read', 'write'] }]);
    const rpc = async (method: string, args: unknown[]) => {
      const res = await fetch(`${base}/api/connect-server/v1/rpc/${method}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          call: { token: token.token, requestId: 'r1', ip: null, userAgent: null },
          args,
        }),
      });
      return (await res.json()) as { result: { id: string }; records: ReplicaRecord[] };
    };
    const created = await rpc('createItem', [
      onServer,
      {
        vault: { id: onServer },
        title: 'via rpc',
        category: 'LOGIN',
        fields: [{ label: 'password', value: 'x', type: 'CONCEALED' }],
      },
    ]);
    expect(created.records).toHaveLength(1);
    expect(created.records[0]?.type === 'item' && created.records[0].item.id).toBe(created.result.id);
    const deleted = await rpc('deleteItem', [onServer, created.result.id]);
    expect(deleted.records).toEqual([
      expect.objectContaining({ type: 'item-gone', vaultId: onServer, itemId: created.result.id }),
    ]);
  });

  it('removing a vault from the server resets the stream without it; deleting the server sends server-gone', async () => {
    const s = await stream();
    await s.waitFor((r) => r.type === 'mark');
    const from = s.records.length;
    const res = await setup.api.patch(`/servers/${serverId}`, { removeVaults: [second] });
    expect(res.statusCode).toBe(200);
    await s.waitFor((r) => r.type === 'reset', 1000, from);
    const resetAt = s.records.findIndex((r, i) => i >= from && r.type === 'reset');
    await s.waitFor((r) => r.type === 'mark', 2000, resetAt);
    const after = s.records.slice(resetAt);
    const server = after.find((r) => r.type === 'server');
    expect(server?.type === 'server' && server.server.vaults).toEqual([onServer]);
    expect(after.some((r) => r.type === 'vault' && r.vault.id === second)).toBe(false);

    const gone = s.records.length;
    expect((await setup.api.delete(`/servers/${serverId}`)).statusCode).toBe(204);
    await s.waitFor((r) => r.type === 'server-gone', 1000, gone);
    await s.closed;
    noSecretsIn(s);
    const again = await stream();
    expect(again.status).toBe(401);
  });
});

describe('closing the app', () => {
  it('ends open streams instead of waiting on them', async () => {
    const other = await startTestApp();
    await other.app.listen({ port: 0, host: '127.0.0.1' });
    const address = other.app.server.address();
    if (!address || typeof address === 'string') throw new Error('no port');
    const otherSetup = adminSetup(other);
    const v = (await otherSetup.vault('V')).id;
    const srv = await otherSetup.server([v]);
    const s = await openStream(`http://127.0.0.1:${address.port}`, srv.credentials.serverSecret);
    await s.waitFor((r) => r.type === 'mark');
    const start = performance.now();
    await other.close();
    await s.closed;
    expect(performance.now() - start).toBeLessThan(2000);
  });
});

describe('a node that does not read its stream', () => {
  it('is disconnected once too much is unsent, instead of growing memory', async () => {
    const other = await startTestApp();
    await other.app.listen({ port: 0, host: '127.0.0.1' });
    const address = other.app.server.address();
    if (!address || typeof address === 'string') throw new Error('no port');
    const otherSetup = adminSetup(other);
    const v = (await otherSetup.vault('V')).id;
    const srv = await otherSetup.server([v]);
    const socket = net.connect(address.port, '127.0.0.1');
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    socket.write(
      `GET /api/connect-server/v1/replica/stream HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${srv.credentials.serverSecret}\r\n\r\n`,
    );
    socket.pause(); // reads nothing
    const deadline = Date.now() + 5000;
    while (other.services.replicaStreams.connected === 0 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 20));
    expect(other.services.replicaStreams.connected).toBe(1);
    const fields = Array.from({ length: 8 }, (_, i) => ({
      label: `p${i}`,
      value: 'x'.repeat(60_000),
      type: 'CONCEALED',
    }));
    let written = 0;
    for (let i = 0; i < 80 && other.services.replicaStreams.connected > 0; i++) {
      await otherSetup.item(v, { title: `big ${i}`, category: 'LOGIN', fields });
      written += 1;
      await new Promise((r) => setTimeout(r, 10));
    }
    console.log(`slow node disconnected after ${written} writes of ~0.5 MB`);
    expect(other.services.replicaStreams.connected).toBe(0);
    socket.destroy();
    await other.close();
  }, 60_000);
});
