import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { connect as connectSocket } from 'node:net';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inProcessCentral } from '../../src/connect-server/central/in-process-client.js';
import { buildConnectApp } from '../../src/http/connect/app.js';
import { client, startTestApp, type TestApp } from '../helpers/app.js';
import { adminSetup } from '../helpers/connect-app.js';

/**
 * A Connect listener shutting down: a client keeping its connection alive must be told, on the
 * first answer after close() began, that the connection ends (else it goes on sending requests
 * until the grace period cuts them off mid-request, with the storage closing under them), and a
 * connection busy when close() began is closed once its answer is out.
 */
let t: TestApp;
let serverId: string;
let vaultId: string;
let writeToken: string;
beforeAll(async () => {
  t = await startTestApp();
  const setup = adminSetup(t);
  vaultId = (await setup.vault('Production')).id;
  serverId = (await setup.server([vaultId])).id;
  writeToken = (await setup.token(serverId, [{ vaultId, permissions: ['read', 'write'] }])).token;
});
afterAll(async () => {
  await t.close();
});

const VAULT = 'a'.repeat(26);

const listener = () =>
  buildConnectApp({
    central: inProcessCentral(t.services, serverId),
    logger: pino({ level: 'silent' }),
    limits: {
      json: t.config.bodyLimit,
      file: t.config.maxFileSize,
      inlineFile: t.config.maxInlineFileSize,
    },
  });

describe('closing a Connect listener', () => {
  it('finishes a write whose client left before close() resolves, so the storage is never closed under it', async () => {
    const app = listener();
    await app.listen({ host: '127.0.0.1', port: 0 });
    const { port } = app.server.address() as AddressInfo;
    // The storage is busy for a while: the create below waits for it.
    let release = () => {};
    const busy = t.storage.transaction(
      () =>
        new Promise<void>((resolve) => {
          release = resolve;
        }),
    );
    const socket = connectSocket({ host: '127.0.0.1', port });
    await once(socket, 'connect');
    const body = JSON.stringify({
      title: 'written while closing',
      category: 'LOGIN',
      vault: { id: vaultId },
    });
    const requestSeen = once(app.server, 'request');
    socket.write(
      `POST /v1/vaults/${vaultId}/items HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${writeToken}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    );
    await requestSeen;
    // The client gives up (as wrk does at the end of a run), and the listener is closed.
    socket.destroy();
    let closedAt = 0;
    const closed = app.close().then(() => {
      closedAt = performance.now();
    });
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(closedAt).toBe(0);
    const releasedAt = performance.now();
    release();
    await busy;
    await closed;
    expect(closedAt).toBeGreaterThan(releasedAt);
    // The write was done, with its audit event, before close() resolved.
    const items = await t.storage.items.list(vaultId);
    expect(items).toHaveLength(1);
    const trail = await client(t.app, t.token).get(`/audit?action=CREATE&resource=${items[0]?.id}`);
    expect(trail.json()).toHaveLength(1);
  });

  it('answers requests that arrive on a kept-alive connection after close() with Connection: close, then ends it', async () => {
    const app = listener();
    await app.listen({ host: '127.0.0.1', port: 0 });
    const { port } = app.server.address() as AddressInfo;
    const socket = connectSocket({ host: '127.0.0.1', port });
    await once(socket, 'connect');
    let received = '';
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => {
      received += chunk;
    });
    const ended = once(socket, 'end');

    // A request in progress when close() begins: its body is only half sent.
    const requestSeen = once(app.server, 'request');
    socket.write(
      `POST /v1/vaults/${VAULT}/items HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 10\r\n\r\n{"a":`,
    );
    await requestSeen;
    const closed = app.close();
    // The rest of its body, and a second request on the same connection behind it.
    socket.write(`12}  \r\nGET /v1/vaults/${VAULT}/items HTTP/1.1\r\nHost: x\r\n\r\n`);
    await ended;
    await closed;

    const heads = [...received.matchAll(/HTTP\/1\.1 [\s\S]*?\r\n\r\n/g)].map((m) => m[0].toLowerCase());
    expect(heads).toHaveLength(2);
    expect(heads.map((h) => h.split('\r\n', 1)[0])).toEqual([
      'http/1.1 401 unauthorized',
      'http/1.1 401 unauthorized',
    ]);
    // The first was taken before close() and keeps the connection; the second ends it.
    expect(heads[0]).not.toContain('connection: close');
    expect(heads[1]).toContain('connection: close');
    socket.destroy();
  });
});
