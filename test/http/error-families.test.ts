import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { client, startTestApp, type TestApp } from '../helpers/app.js';
import { adminSetup, connectAppFor, type InjectableConnect } from '../helpers/connect-app.js';

/**
 * Each wire family's handler answers in its own shape: the admin API `{status, code, message}`
 * (also every unknown route), Connect `{status, message}` (a Connect listener and `/api/v1`),
 * the OAuth endpoints `{error, error_description}` (RFC 6749 §5.2) and the pages HTML. A fault
 * (a table renamed under the running service) answers a generic 500 in each, without its cause.
 */
let t: TestApp;
let connect: InjectableConnect;
let vault: string;
let item: string;
let connectToken: string;

beforeAll(async () => {
  t = await startTestApp();
  const setup = adminSetup(t);
  vault = (await setup.vault('v')).id;
  item = (await setup.item(vault, { title: 'i', fields: [{ purpose: 'PASSWORD', value: 'p' }] })).id;
  const server = (await setup.server([vault])).id;
  connectToken = (await setup.token(server, [{ vaultId: vault, permissions: ['read', 'write'] }])).token;
  connect = await connectAppFor(t, server);
});
afterAll(async () => {
  await connect.close();
  await t.close();
});

/** Tampers with the database under the running service, the way a broken store would. */
function renameTable(table: string) {
  const raw = new Database(join(t.dir, 'keyhold.db'));
  raw.exec(`alter table ${table} rename to ${table}_gone`);
  raw.close();
}

/** What a fault must never show: the database's own words. */
function expectNoCause(body: string) {
  for (const word of ['SQLITE', 'no such table', '_gone', 'at ', 'stack']) expect(body).not.toContain(word);
}

const PAGE_FAULT = 'Something went wrong on our side. Try again later.';
const form = { 'content-type': 'application/x-www-form-urlencoded' };

// Written before the change: until then `/api/…` answered Connect's `{status, message}`, without `code`.
describe('an unknown route', () => {
  const paths = [
    '/api',
    '/api/nope',
    '/api/admin/nope',
    '/api/admin/vaults/x/y/z/w',
    '/api/v1/nope',
    '/api/v1/vaults/x/y/z/w',
    '/api/connect-server/v1/nope',
    '/nope',
  ];
  for (const path of paths)
    for (const method of ['GET', 'POST', 'DELETE'] as const)
      it(`${method} ${path} answers the documented {status, code, message}`, async () => {
        const res = await t.app.inject({
          method,
          url: `${path}?title=secret-title`,
          headers: { authorization: `Bearer ${t.token}` },
        });
        expect(res.statusCode).toBe(404);
        expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
        expect(res.json()).toEqual({
          status: 404,
          code: 'not_found',
          message: `no route for ${method} ${path}`,
        });
        expect(res.body).not.toContain('secret-title');
      });
});

describe('each family answers in its shape', () => {
  it('admin API: {status, code, message}', async () => {
    const unauthenticated = await t.app.inject({ method: 'GET', url: '/api/admin/vaults' });
    expect(unauthenticated.statusCode).toBe(401);
    expect(unauthenticated.json()).toEqual({
      status: 401,
      code: 'unauthorized',
      message: expect.stringContaining('bearer token'),
    });
    const badJson = await t.app.inject({
      method: 'POST',
      url: '/api/admin/vaults',
      headers: { authorization: `Bearer ${t.token}`, 'content-type': 'application/json' },
      payload: '{"name":',
    });
    expect(badJson.statusCode).toBe(400);
    expect(badJson.json()).toMatchObject({ status: 400, code: 'invalid_json' });
    const missing = await client(t.app, t.token).get(`/vaults/${vault}/items/${'0'.repeat(26)}`);
    expect(missing.statusCode).toBe(404);
    expect(Object.keys(missing.json()).sort()).toEqual(['code', 'message', 'status']);
  });

  it('Connect listener: {status, message}, unknown routes too', async () => {
    const unknown = await connect.inject({ method: 'GET', url: '/v1/nope?title=secret-title' });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json()).toEqual({ status: 404, message: 'no route for GET /v1/nope' });
    const unauthenticated = await connect.inject({ method: 'GET', url: '/v1/vaults' });
    expect(unauthenticated.statusCode).toBe(401);
    expect(Object.keys(unauthenticated.json()).sort()).toEqual(['message', 'status']);
    const badJson = await connect.inject({
      method: 'POST',
      url: `/v1/vaults/${vault}/items`,
      headers: { authorization: `Bearer ${connectToken}`, 'content-type': 'application/json' },
      payload: '{"title":',
    });
    expect(badJson.statusCode).toBe(400);
    expect(badJson.json()).toEqual({ status: 400, message: expect.any(String) });
  });

  it('/api/v1: {status, message}, with the bearer and DPoP challenges', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/api/v1/vaults' });
    expect(res.statusCode).toBe(401);
    expect(res.json()).toEqual({ status: 401, message: expect.stringContaining('Bearer') });
    expect(res.headers['www-authenticate']).toBe(
      'Bearer realm="keyhold", error="invalid_token", DPoP algs="ES256 EdDSA Ed25519 RS256 PS256"',
    );
  });

  it('OAuth token endpoint: {error, error_description}', async () => {
    const json = await t.app.inject({
      method: 'POST',
      url: `/oauth/${t.accountId}/token`,
      headers: { 'content-type': 'application/json' },
      payload: '{"grant_type":"client_credentials"}',
    });
    expect(json.statusCode).toBe(400);
    expect(json.json()).toEqual({ error: 'invalid_request', error_description: expect.any(String) });
    const noAccount = await t.app.inject({
      method: 'POST',
      url: '/oauth/x/token',
      headers: form,
      payload: 'grant_type=client_credentials',
    });
    expect(noAccount.statusCode).toBe(404);
    expect(noAccount.json()).toEqual({
      error: 'invalid_request',
      error_description: 'no such authorization server',
    });
    const badClient = await t.app.inject({
      method: 'POST',
      url: `/oauth/${t.accountId}/token`,
      headers: { ...form, authorization: `Basic ${Buffer.from('kc-nobody:wrong').toString('base64')}` },
      payload: 'grant_type=client_credentials',
    });
    expect(badClient.statusCode).toBe(401);
    expect(badClient.json()).toEqual({ error: 'invalid_client', error_description: expect.any(String) });
    expect(badClient.headers['www-authenticate']).toBe('Basic realm="keyhold"');
    const grantType = await t.app.inject({
      method: 'POST',
      url: `/oauth/${t.accountId}/token`,
      headers: form,
      payload: 'grant_type=password',
    });
    expect(grantType.statusCode).toBe(400);
    expect(grantType.json().error).toBe('unsupported_grant_type');
  });

  it('pages: an HTML page with the pages’ headers', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/oauth/x/login' });
    expect(res.statusCode).toBe(404);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(res.headers['content-security-policy']).toContain("default-src 'none'");
    expect(res.headers['x-frame-options']).toBe('DENY');
    expect(res.headers['referrer-policy']).toBe('no-referrer');
    expect(res.body).toContain('<title>Not found · Keyhold</title>');
    expect(res.body).toContain('no such authorization server');
    const notForm = await t.app.inject({
      method: 'POST',
      url: `/oauth/${t.accountId}/login`,
      headers: { 'content-type': 'application/json' },
      payload: '{}',
    });
    expect(notForm.statusCode).toBe(400);
    expect(notForm.body).toContain('<title>Request refused · Keyhold</title>');
  });
});

// Last: each renames a table, so what follows in this file finds the store broken.
describe('a fault answers a generic 500 in every family, and is logged with its cause', () => {
  it('admin API', async () => {
    renameTable('items');
    const res = await client(t.app, t.token).get(`/vaults/${vault}/items/${item}`);
    expect(res.statusCode).toBe(500);
    expect(res.json()).toEqual({ status: 500, code: 'internal_error', message: 'Internal server error' });
    expectNoCause(res.body);
    const line = t.logs.find((l) => l.includes('request failed') && l.includes('no such table: items'));
    expect(line).toContain('"code":"internal_error"');
  });

  it('Connect listener', async () => {
    const res = await connect.inject({
      method: 'GET',
      url: `/v1/vaults/${vault}/items/${item}`,
      headers: { authorization: `Bearer ${connectToken}` },
    });
    expect(res.statusCode).toBe(500);
    expect(res.json()).toEqual({ status: 500, message: 'Internal server error' });
    expectNoCause(res.body);
  });

  it('/api/v1', async () => {
    renameTable('oauth_tokens');
    const res = await t.app.inject({
      method: 'GET',
      url: '/api/v1/vaults',
      headers: { authorization: 'Bearer kat_anything' },
    });
    expect(res.statusCode).toBe(500);
    expect(res.json()).toEqual({ status: 500, message: 'Internal server error' });
    expectNoCause(res.body);
  });

  it('OAuth token endpoint', async () => {
    renameTable('oauth_clients');
    const res = await t.app.inject({
      method: 'POST',
      url: `/oauth/${t.accountId}/token`,
      headers: { ...form, authorization: `Basic ${Buffer.from('kc-nobody:wrong').toString('base64')}` },
      payload: 'grant_type=client_credentials',
    });
    expect(res.statusCode).toBe(500);
    expect(res.json()).toEqual({ error: 'server_error', error_description: 'Internal server error' });
    expectNoCause(res.body);
  });

  it('pages', async () => {
    renameTable('login_sessions');
    const res = await t.app.inject({
      method: 'GET',
      url: `/oauth/${t.accountId}/login`,
      cookies: { keyhold_session: `khss_${'a'.repeat(43)}` },
    });
    expect(res.statusCode).toBe(500);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(res.body).toContain(PAGE_FAULT);
    expectNoCause(res.body);
  });
});

describe('a body that is not JSON is refused without being repeated', () => {
  const SECRET = 'hunter2-in-a-broken-body';
  // V8's own reasons for these quote the text around the bad token.
  const bodies = [
    `{"password": ${SECRET}}`,
    SECRET,
    `[{"op":"replace","path":"/fields/password/value","value": ${SECRET}}]`,
    `[1,]${SECRET}`,
  ];
  const json = { 'content-type': 'application/json' };

  it.each(bodies)('admin API, Connect and /api/v1 each answer 400 invalid_json: %s', async (payload) => {
    const answers = [
      await t.app.inject({
        method: 'POST',
        url: '/api/admin/vaults',
        headers: { authorization: `Bearer ${t.token}`, ...json },
        payload,
      }),
      await connect.inject({
        method: 'PATCH',
        url: `/v1/vaults/${vault}/items/${item}`,
        headers: { authorization: `Bearer ${connectToken}`, ...json },
        payload,
      }),
      await t.app.inject({ method: 'POST', url: `/api/v1/vaults/${vault}/items`, headers: json, payload }),
    ];
    for (const res of answers) {
      expect(res.statusCode).toBe(400);
      expect(res.json().message).toMatch(/^Request body is not valid JSON: /);
      expect(res.body).not.toContain('hunter2');
    }
    expect(answers[0]?.json().code).toBe('invalid_json');
  });

  it('keeps a reason that names only a position', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/admin/vaults',
      headers: { authorization: `Bearer ${t.token}`, ...json },
      payload: '{"name":"x",}',
    });
    expect(res.json().message).toBe(
      'Request body is not valid JSON: Expected double-quoted property name in JSON at position 12',
    );
  });
});

describe('a URL the router cannot take', () => {
  const long = 'a'.repeat(5000);
  it.each([
    ['/api/admin/vaults/%zz', 400, 'bad_request', "'/api/admin/vaults/%zz' is not a valid URL path"],
    [
      '/api/v1/vaults/%E0%A4%A/items',
      400,
      'bad_request',
      "'/api/v1/vaults/%E0%A4%A/items' is not a valid URL path",
    ],
    ['/oauth/%zz/token?x=secret-title', 400, 'bad_request', "'/oauth/%zz/token' is not a valid URL path"],
    [
      `/api/admin/vaults/${long}`,
      404,
      'not_found',
      `no route for GET ${`/api/admin/vaults/${long}`.slice(0, 200)}…`,
    ],
    [
      `/api/v1/vaults/${long}/items`,
      404,
      'not_found',
      `no route for GET ${`/api/v1/vaults/${long}`.slice(0, 200)}…`,
    ],
  ])('%#: answers %i {status, code, message} with the usual headers', async (url, status, code, message) => {
    const res = await t.app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${t.token}` } });
    expect(res.statusCode).toBe(status);
    expect(res.json()).toEqual({ status, code, message });
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['x-request-id']).toEqual(expect.any(String));
    expect(res.body).not.toContain('secret-title');
  });

  it('a Connect listener quotes a path it cannot take only in part', async () => {
    const bad = await connect.inject({ method: 'GET', url: `/v1/vaults/${long}/%zz` });
    expect(bad.json()).toEqual({
      status: 400,
      message: `'${`/v1/vaults/${long}`.slice(0, 200)}…' is not a valid URL path`,
    });
    const unknown = await connect.inject({ method: 'GET', url: `/v1/${long}` });
    expect(unknown.json()).toEqual({
      status: 404,
      message: `no route for GET ${`/v1/${long}`.slice(0, 200)}…`,
    });
  });
});
