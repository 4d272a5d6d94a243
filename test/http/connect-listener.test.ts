import { request as httpRequest } from 'node:http';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inProcessCentral } from '../../src/connect-server/central/in-process-client.js';
import { buildConnectApp, CONNECT_API_VERSION, type ConnectApp } from '../../src/http/connect/app.js';
import { listeningUrl } from '../../src/http/listening-url.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { adminSetup } from '../helpers/connect-app.js';

/**
 * The Connect listener itself, over a real socket: the headers every answer carries, HEAD, media
 * types, body limits, malformed paths and clients that go away mid-body.
 */
let t: TestApp;
let app: ConnectApp;
let base: string;
let vault: string;
let item: string;
let token: string;
const logs: string[] = [];

beforeAll(async () => {
  t = await startTestApp({ KEYHOLD_BODY_LIMIT: '4096' });
  const setup = adminSetup(t);
  vault = (await setup.vault('v')).id;
  item = (await setup.item(vault, { title: 'db', fields: [{ purpose: 'PASSWORD', value: 'hunter2' }] })).id;
  const server = (await setup.server([vault])).id;
  token = (await setup.token(server, [{ vaultId: vault, permissions: ['read', 'write'] }])).token;
  app = buildConnectApp({
    central: inProcessCentral(t.services, server),
    logger: pino({ level: 'info' }, { write: (line: string) => logs.push(line) }),
    limits: { json: t.config.bodyLimit, file: t.config.maxFileSize, inlineFile: t.config.maxInlineFileSize },
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  base = listeningUrl(app, '127.0.0.1');
});
afterAll(async () => {
  await app.close();
  await t.close();
});

const auth = () => ({ authorization: `Bearer ${token}` });

describe('every answer', () => {
  it('carries a request id, no-store, nosniff and the Connect version, errors included', async () => {
    for (const [url, status] of [
      [`/v1/vaults/${vault}/items/${item}`, 200],
      ['/v1/nowhere', 404],
    ] as const) {
      const res = await fetch(base + url, { headers: auth() });
      expect(res.status).toBe(status);
      expect(res.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
      expect(res.headers.get('cache-control')).toBe('no-store');
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('1password-connect-version')).toBe(CONNECT_API_VERSION);
      expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
    }
  });

  it('is logged once with its id, path without the query string, and status; never the token', async () => {
    const res = await fetch(`${base}/v1/vaults/${vault}/items?filter=title%20eq%20%22db%22`, {
      headers: auth(),
    });
    const id = res.headers.get('x-request-id');
    const line = logs.map((l) => JSON.parse(l)).find((l) => l.reqId === id);
    expect(line).toMatchObject({
      msg: 'request',
      method: 'GET',
      path: `/v1/vaults/${vault}/items`,
      status: 200,
    });
    expect(logs.join('\n')).not.toContain(token);
    expect(logs.join('\n')).not.toContain('hunter2');
  });

  it('answers HEAD like GET, without a body', async () => {
    const res = await fetch(`${base}/v1/vaults/${vault}/items/${item}`, { method: 'HEAD', headers: auth() });
    expect(res.status).toBe(200);
    expect(Number(res.headers.get('content-length'))).toBeGreaterThan(0);
    expect(await res.text()).toBe('');
  });
});

describe('bad requests get a 4xx in the Connect shape', () => {
  const post = (path: string, body: string | Buffer, headers: Record<string, string>) =>
    fetch(base + path, { method: 'POST', headers: { ...auth(), ...headers }, body });

  it('a JSON route refuses another media type (415), and an upload refuses JSON', async () => {
    const create = await post(`/v1/vaults/${vault}/items`, '{"title":"x"}', { 'content-type': 'text/plain' });
    expect(create.status).toBe(415);
    expect(await create.json()).toEqual({
      status: 415,
      message: "Unsupported Content-Type 'text/plain': send the body as application/json",
    });
    const upload = await post(`/v1/vaults/${vault}/items/${item}/files?name=a.txt`, '{}', {
      'content-type': 'application/json',
    });
    expect(upload.status).toBe(415);
  });

  it('PATCH also takes application/json-patch+json, parsed and limited as JSON; no other route does', async () => {
    const created = await post(`/v1/vaults/${vault}/items`, '{"title":"to patch"}', {
      'content-type': 'application/json',
    });
    const { id } = (await created.json()) as { id: string };
    const patch = (body: string, contentType: string) =>
      fetch(`${base}/v1/vaults/${vault}/items/${id}`, {
        method: 'PATCH',
        headers: { ...auth(), 'content-type': contentType },
        body,
      });
    const ops = JSON.stringify([{ op: 'replace', path: '/title', value: 'patched as json-patch' }]);
    for (const type of ['application/json-patch+json', 'Application/JSON-Patch+JSON; charset=utf-8']) {
      const ok = await patch(ops, type);
      expect(ok.status, type).toBe(200);
      expect(((await ok.json()) as { title: string }).title).toBe('patched as json-patch');
    }
    const bad = await patch('[{"op":', 'application/json-patch+json');
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { message: string }).message).toMatch(/^Request body is not valid JSON/);
    const proto = await patch(
      '[{"op":"add","path":"/tags/-","value":{"__proto__":{}}}]',
      'application/json-patch+json',
    );
    expect(proto.status).toBe(400);
    const big = await patch(
      JSON.stringify([{ op: 'replace', path: '/title', value: 'x'.repeat(5000) }]),
      'application/json-patch+json',
    );
    expect(big.status).toBe(413);
    const text = await patch(ops, 'text/plain');
    expect(text.status).toBe(415);
    expect(await text.json()).toEqual({
      status: 415,
      message:
        "Unsupported Content-Type 'text/plain': send the body as application/json or application/json-patch+json",
    });
    // Create and replace take application/json only.
    const create = await post(`/v1/vaults/${vault}/items`, '{"title":"x"}', {
      'content-type': 'application/json-patch+json',
    });
    expect(create.status).toBe(415);
    expect(await create.json()).toEqual({
      status: 415,
      message: "Unsupported Content-Type 'application/json-patch+json': send the body as application/json",
    });
  });

  it('a body over the limit is refused with 413, announced or streamed', async () => {
    const big = JSON.stringify({ title: 'x'.repeat(5000) });
    const announced = await post(`/v1/vaults/${vault}/items`, big, { 'content-type': 'application/json' });
    expect(announced.status).toBe(413);
    expect(((await announced.json()) as { message: string }).message).toBe(
      'Request body is larger than the limit of 4096 bytes',
    );

    const streamed = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = httpRequest(
        `${base}/v1/vaults/${vault}/items`,
        { method: 'POST', headers: { ...auth(), 'content-type': 'application/json' } },
        (res) => {
          let body = '';
          res.on('data', (c) => {
            body += c;
          });
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        },
      );
      req.on('error', reject);
      req.write(big.slice(0, 3000));
      req.end(big.slice(3000)); // chunked: no Content-Length to refuse it up front
    });
    expect(streamed.status).toBe(413);
    expect(JSON.parse(streamed.body)).toMatchObject({ status: 413 });
  });

  it('invalid JSON and a malformed path are 400s', async () => {
    const json = await post(`/v1/vaults/${vault}/items`, '{"title":', { 'content-type': 'application/json' });
    expect(json.status).toBe(400);
    expect(((await json.json()) as { message: string }).message).toMatch(/^Request body is not valid JSON/);
    const path = await fetch(`${base}/v1/vaults/%E0%A4%A/items`, { headers: auth() });
    expect(path.status).toBe(400);
    expect(await path.json()).toMatchObject({ status: 400 });
  });

  it('a client that goes away mid-body leaves the server answering', async () => {
    await new Promise<void>((resolve) => {
      const req = httpRequest(`${base}/v1/vaults/${vault}/items`, {
        method: 'POST',
        headers: { ...auth(), 'content-type': 'application/json', 'content-length': '1000' },
      });
      req.on('error', () => resolve());
      req.write('{"title":"half', () => {
        req.destroy();
        resolve();
      });
    });
    const res = await fetch(`${base}/v1/vaults/${vault}/items/${item}`, { headers: auth() });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { title: string }).title).toBe('db');
  });
});
