import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { httpCentral } from '../../../src/connect-server/wire/http-client.js';
import { RPC_PATH } from '../../../src/connect-server/wire/rpc.js';

/**
 * The HTTP central client against a real HTTP server that answers as the test says: what a
 * remote Connect server makes of the central service's answers, good and bad.
 */
const call = { token: 'connect-token', requestId: 'req-1', ip: null, userAgent: null };
const VAULT = 'v'.repeat(26);
const ITEM = 'i'.repeat(26);

let server: Server | undefined;
let seen: { url: string; authorization: string | undefined; body: unknown }[] = [];

/** Stops the central service of the test, if one is up. */
async function closeCentral() {
  const up = server;
  server = undefined;
  if (up) await new Promise((resolve) => up.close(resolve));
}

afterEach(async () => {
  await closeCentral();
  seen = [];
});

/** A central service whose every answer is `status` with `body`; returns its base URL. */
async function centralAnswering(status: number, body: string | Buffer, type = 'application/json') {
  const central = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      seen.push({
        url: req.url ?? '',
        authorization: req.headers.authorization,
        body: JSON.parse(Buffer.concat(chunks).toString('utf8') || 'null'),
      });
      res.writeHead(status, { 'content-type': type }).end(body);
    });
  });
  server = central;
  await new Promise<void>((resolve) => central.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(central.address() as AddressInfo).port}`;
}

const client = (central: string) => httpCentral({ central, serverSecret: 'server-secret' });

describe('the HTTP central client', () => {
  it('passes an item read on as the bytes the central service sent', async () => {
    const item = Buffer.from('{"id":"x","title":"t\\u00e9 🔑","fields":[]}');
    const central = await centralAnswering(200, item);
    const got = await client(central).getItem(call, VAULT, ITEM);
    expect(got.equals(item)).toBe(true);
    expect(seen).toEqual([
      {
        url: `${RPC_PATH}/getItem`,
        authorization: 'Bearer server-secret',
        body: { call, args: [VAULT, ITEM] },
      },
    ]);
  });

  it('unwraps the result of other calls', async () => {
    const central = await centralAnswering(200, JSON.stringify({ result: [{ id: VAULT, name: 'v' }] }));
    expect(await client(central).listVaults(call)).toEqual([{ id: VAULT, name: 'v' }]);
  });

  it('relays a refusal with its status, code and message, for item reads too', async () => {
    const refusal = JSON.stringify({ status: 404, code: 'not_found', message: `item ${ITEM} not found` });
    const central = await centralAnswering(404, refusal);
    for (const read of [
      () => client(central).getItem(call, VAULT, ITEM),
      () => client(central).getVault(call, VAULT),
    ]) {
      await expect(read()).rejects.toMatchObject({
        status: 404,
        code: 'not_found',
        message: `item ${ITEM} not found`,
      });
    }
  });

  it('answers 503 when the central service answers with something that is not JSON', async () => {
    const proxyPage = await centralAnswering(502, '<html>Bad Gateway</html>', 'text/html');
    await expect(client(proxyPage).getItem(call, VAULT, ITEM)).rejects.toMatchObject({
      status: 503,
      code: 'central_unavailable',
      message: 'The central service is unavailable: HTTP 502 with a body that is not JSON',
    });
    await closeCentral();
    const notJson = await centralAnswering(200, 'OK', 'text/plain');
    await expect(client(notJson).listVaults(call)).rejects.toMatchObject({
      status: 503,
      message: 'The central service is unavailable: HTTP 200 with a body that is not JSON',
    });
  });

  it('answers 503 naming the failure when the central service cannot be reached', async () => {
    const central = await centralAnswering(200, '{}');
    await closeCentral();
    await expect(client(central).getItem(call, VAULT, ITEM)).rejects.toMatchObject({
      status: 503,
      code: 'central_unavailable',
      message: 'The central service is unavailable: ECONNREFUSED',
    });
  });

  it('gives a call up as a 503 when its connection is idle too long, not while the answer keeps coming', async () => {
    // Takes the request and answers only when told: a central service that hangs, or a slow one.
    const waiting: ServerResponse[] = [];
    const central = createServer((req, res) => {
      req.resume();
      req.on('end', () => waiting.push(res));
    });
    server = central;
    await new Promise<void>((resolve) => central.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(central.address() as AddressInfo).port}`;
    const idle = httpCentral({ central: url, serverSecret: 'server-secret', idleMs: 300 });
    const started = Date.now();
    await expect(idle.deleteItem(call, VAULT, ITEM)).rejects.toMatchObject({
      status: 503,
      code: 'central_unavailable',
      message: 'The central service is unavailable: ETIMEDOUT',
    });
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    // An answer dribbled over 1.3 s, a byte every 100 ms: slower than 300 ms in all, never idle.
    const slow = idle.listVaults(call);
    await vi.waitFor(() => expect(waiting.length).toBe(2));
    const res = waiting[1] as ServerResponse;
    res.writeHead(200, { 'content-type': 'application/json' });
    const body = '{"result":[]}';
    for (const piece of body) {
      res.write(piece);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    res.end();
    await expect(slow).resolves.toEqual([]);
    for (const r of waiting) r.destroy();
  });
});
