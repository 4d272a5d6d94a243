import { join } from 'node:path';
import Database from 'better-sqlite3';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { client, startTestApp, type TestApp } from '../helpers/app.js';

/**
 * Hostile and malformed input against every admin route: always a 4xx with the error shape,
 * never a 500 or a crash, and never a partial write.
 */
let t: TestApp;
let api: ReturnType<typeof client>;
let vaultId: string;
let itemId: string;
let userId: string;

beforeAll(async () => {
  t = await startTestApp();
  api = client(t.app, t.token);
  vaultId = (await api.post('/vaults', { name: 'v' })).json().id;
  itemId = (await api.post(`/vaults/${vaultId}/items`, { title: 'i', fields: [] })).json().id;
  userId = (await api.post('/users', { email: 'u@example.com' })).json().id;
});
afterAll(() => t.close());

const TABLES = [
  'accounts',
  'users',
  'admin_tokens',
  'vaults',
  'vault_access',
  'items',
  'item_versions',
  'files',
];
function rowCounts(): Record<string, number> {
  const raw = new Database(join(t.dir, 'keyhold.db'), { readonly: true });
  try {
    return Object.fromEntries(
      TABLES.map((table) => [
        table,
        (raw.prepare(`select count(*) as n from ${table}`).get() as { n: number }).n,
      ]),
    );
  } finally {
    raw.close();
  }
}

function expectClientError(res: { statusCode: number; json(): unknown; body: string }, context: string) {
  expect(res.statusCode, `${context} → ${res.statusCode} ${res.body}`).toBeGreaterThanOrEqual(400);
  expect(res.statusCode, `${context} → ${res.statusCode} ${res.body}`).toBeLessThan(500);
  const body = res.json() as { status: number; code: string; message: string };
  expect(body.status).toBe(res.statusCode);
  expect(typeof body.code).toBe('string');
  expect(body.message.length).toBeGreaterThan(0);
}

const hostileString = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 300 }),
  fc.constantFrom(
    '',
    ' ',
    '\u0000',
    'a\u0000b',
    '\u202e',
    'x'.repeat(5000),
    '../../etc/passwd',
    "'; drop table items; --",
    '__proto__',
    '\ud800',
  ),
);
// A value of the wrong kind for a string field.
const notAString = fc.oneof(
  fc.integer(),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.string(), { maxLength: 3 }),
  fc.dictionary(fc.string(), fc.string(), { maxKeys: 2 }),
);

/** Valid bodies, each broken in one of the ways clients break them. */
const routes: {
  method: 'POST' | 'PUT';
  name: string;
  url: () => string;
  valid: Record<string, unknown>;
  required: string[];
}[] = [
  {
    method: 'POST',
    name: '/vaults',
    url: () => '/vaults',
    valid: { name: 'n', description: 'd' },
    required: ['name'],
  },
  {
    method: 'POST',
    name: '/vaults/:vault/items',
    url: () => `/vaults/${vaultId}/items`,
    valid: { title: 't', category: 'LOGIN', fields: [] },
    required: ['title'],
  },
  {
    method: 'PUT',
    name: '/vaults/:vault/items/:item',
    url: () => `/vaults/${vaultId}/items/${itemId}`,
    valid: { title: 't', fields: [] },
    required: ['title'],
  },
  {
    method: 'POST',
    name: '/users',
    url: () => '/users',
    valid: { email: 'new@example.com', role: 'member' },
    required: ['email'],
  },
  { method: 'POST', name: '/accounts', url: () => '/accounts', valid: { name: 'acct' }, required: ['name'] },
  {
    method: 'PUT',
    name: '/users/:user/vaults/:vault',
    url: () => `/users/${userId}/vaults/${vaultId}`,
    valid: { permissions: ['read'] },
    required: ['permissions'],
  },
];

const send = (method: string, url: string, payload: unknown, contentType = 'application/json') =>
  t.app.inject({
    method: method as 'POST',
    url: `/api/admin${url}`,
    headers: { authorization: `Bearer ${t.token}`, 'content-type': contentType },
    payload: typeof payload === 'string' || Buffer.isBuffer(payload) ? payload : JSON.stringify(payload),
  });

describe('bad input never yields a 5xx or a partial write', () => {
  for (const route of routes) {
    it(`${route.method} ${route.name}: wrong types, missing and unknown fields, hostile strings`, async () => {
      const broken = fc.oneof(
        // wrong type for a required field
        fc
          .tuple(fc.constantFrom(...route.required), notAString)
          .map(([k, v]) => ({ ...route.valid, [k]: v })),
        // a required field missing
        fc
          .constantFrom(...route.required)
          .map((k) => Object.fromEntries(Object.entries(route.valid).filter(([key]) => key !== k))),
        // an unknown field
        fc
          .string({ minLength: 1, maxLength: 20 })
          .filter(
            (k) =>
              !(k in route.valid) &&
              ![
                'version',
                'urls',
                'tags',
                'favorite',
                'sections',
                'fields',
                'category',
                'description',
                'role',
                'password',
              ].includes(k),
          )
          .map((k) => ({ ...route.valid, [k]: 1 })),
        // a hostile string where a string belongs, or a non-object body
        fc
          .tuple(fc.constantFrom(...route.required), hostileString)
          .map(([k, v]) => ({ ...route.valid, [k]: v })),
        fc.oneof(fc.constant(null), fc.integer(), fc.string(), fc.array(fc.anything(), { maxLength: 3 })),
      );
      await fc.assert(
        fc.asyncProperty(broken, async (body) => {
          const before = rowCounts();
          const res = await send(route.method, route.url(), body);
          expect(res.statusCode, `${JSON.stringify(body)} → ${res.body}`).toBeLessThan(500);
          // A hostile string can still be a valid name; a rejected request must have written nothing.
          if (res.statusCode >= 400) {
            expectClientError(res, JSON.stringify(body));
            expect(rowCounts()).toEqual(before);
          }
        }),
        { numRuns: 120 },
      );
    });
  }

  it('every rejected request leaves every table exactly as it was', async () => {
    const rejected = [
      () =>
        send('POST', `/vaults/${vaultId}/items`, {
          title: 't',
          fields: [{ type: 'DATE', value: '2023-02-30' }],
        }),
      () => send('POST', `/vaults/${vaultId}/items`, { title: 't', fields: [{ id: 'a' }, { id: 'a' }] }),
      () => send('POST', `/vaults/${vaultId}/items`, { title: 't', fields: [{ section: { id: 'nope' } }] }),
      () => send('PUT', `/vaults/${vaultId}/items/${itemId}`, { title: '', fields: [] }),
      () => send('PUT', `/vaults/${vaultId}/items/${itemId}`, { title: 't', version: 99 }),
      () => send('POST', '/users', { email: 'u@example.com' }),
      () => send('POST', '/vaults', { name: 'x', extra: true }),
      () =>
        send(
          'POST',
          '/vaults',
          Buffer.from([0x7b, 0x22, 0x6e, 0x61, 0x6d, 0x65, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d]),
        ),
      () => send('POST', '/vaults', '{"name": "x",'),
      () => send('POST', '/vaults', '{"__proto__": {"admin": true}, "name": "x"}'),
      () => send('PUT', `/users/${userId}/vaults/${vaultId}`, { permissions: ['read', 'root'] }),
    ];
    const before = rowCounts();
    for (const request of rejected) {
      const res = await request();
      expectClientError(res, res.body);
    }
    expect(rowCounts()).toEqual(before);
  });

  it('invalid UTF-8 is refused, not silently replaced', async () => {
    const res = await send('POST', '/vaults', Buffer.from('{"name":"\xff\xfe"}', 'latin1'));
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual({
      status: 400,
      code: 'invalid_utf8',
      message: 'Request body is not valid UTF-8',
    });
  });

  it('a body over the documented limit gets 413', async () => {
    const res = await send(
      'POST',
      '/vaults',
      JSON.stringify({ name: 'x', description: 'y'.repeat(t.config.bodyLimit) }),
    );
    expect(res.statusCode).toBe(413);
    expect(res.json().code).toBe('payload_too_large');
  });

  it('an unknown field is named in the message', async () => {
    const res = await send('POST', '/vaults', { name: 'x', nmae: 'y' });
    expect(res.statusCode).toBe(400);
    expect(res.json().message).toContain('nmae');
  });

  it('malformed ids in the path are a 400 that names the parameter', async () => {
    const res = await api.get('/vaults/NOT-AN-ID');
    expect(res.statusCode).toBe(400);
    expect(res.json().message).toBe('path: vaultId: must be a 26-character id of a-z and 0-9');
    await fc.assert(
      fc.asyncProperty(fc.string({ unit: 'binary', minLength: 1, maxLength: 100 }), async (raw) => {
        const id = encodeURIComponent(raw);
        for (const url of [
          `/vaults/${id}`,
          `/vaults/${vaultId}/items/${id}`,
          `/vaults/${id}/items`,
          `/users/${id}`,
        ]) {
          const r = await api.get(url);
          expect(r.statusCode, `${url} → ${r.body}`).toBeGreaterThanOrEqual(400);
          expect(r.statusCode, `${url} → ${r.body}`).toBeLessThan(500);
        }
      }),
      { numRuns: 100 },
    );
  });

  it('hostile query strings are a 4xx', async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ unit: 'binary', maxLength: 50 }), async (raw) => {
        const r = await api.get(`/audit?limit=${encodeURIComponent(raw)}`);
        expect(r.statusCode).toBeLessThan(500);
      }),
      { numRuns: 100 },
    );
    expect((await api.get('/audit?limit=0')).statusCode).toBe(400);
    expect((await api.get('/audit?limit=5&bogus=1')).statusCode).toBe(400);
  });

  it('a content type the route does not take gets 415', async () => {
    const res = await send('POST', '/vaults', 'name=x', 'application/x-www-form-urlencoded');
    expect(res.statusCode).toBe(415);
    expect(res.json().code).toBe('unsupported_media_type');
  });
});
