import { join } from 'node:path';
import Database from 'better-sqlite3';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { adminSetup, connectAppFor, type InjectableConnect } from '../helpers/connect-app.js';

/** Hostile input on the Connect API: a 4xx in Connect's shape, never a 5xx, never a partial write. */
let t: TestApp;
let connect: InjectableConnect;
let vault: string;
let item: string;
let token: string;

beforeAll(async () => {
  t = await startTestApp();
  const setup = adminSetup(t);
  vault = (await setup.vault('v')).id;
  item = (await setup.item(vault, { title: 'i', fields: [{ purpose: 'PASSWORD', value: 'p' }] })).id;
  const server = (await setup.server([vault])).id;
  token = (await setup.token(server, [{ vaultId: vault, permissions: ['read', 'write'] }])).token;
  connect = await connectAppFor(t, server);
});
afterAll(async () => {
  await connect.close();
  await t.close();
});

function contentState(): string {
  const raw = new Database(join(t.dir, 'keyhold.db'), { readonly: true });
  try {
    const items = raw.prepare('select id, version from items order by id').all();
    const versions = raw.prepare('select count(*) as n from item_versions').get();
    const files = raw.prepare('select count(*) as n from files').get();
    return JSON.stringify({ items, versions, files });
  } finally {
    raw.close();
  }
}

const send = (method: 'POST' | 'PUT' | 'PATCH' | 'GET', url: string, payload?: string) =>
  connect.inject({
    method,
    url,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    ...(payload === undefined ? {} : { payload }),
  });

function expectConnectClientError(
  res: { statusCode: number; json(): unknown; body: string },
  context: string,
) {
  expect(res.statusCode, `${context} → ${res.body}`).toBeGreaterThanOrEqual(400);
  expect(res.statusCode, `${context} → ${res.body}`).toBeLessThan(500);
  const body = res.json() as { status: number; message: string };
  expect(body.status).toBe(res.statusCode);
  expect(body.message.length).toBeGreaterThan(0);
}

const badField = fc.record(
  {
    id: fc.oneof(fc.string(), fc.integer(), fc.constant(null)),
    type: fc.oneof(
      fc.constantFrom('STRING', 'DATE', 'MONTH_YEAR', 'OTP', 'EMAIL', 'URL', 'NOPE', ''),
      fc.integer(),
    ),
    purpose: fc.oneof(fc.constantFrom('', 'PASSWORD', 'USERNAME', 'NOTES', 'x'), fc.boolean()),
    value: fc.oneof(fc.string({ unit: 'binary', maxLength: 40 }), fc.integer(), fc.constant(null)),
    section: fc.oneof(fc.record({ id: fc.string() }), fc.string()),
    generate: fc.oneof(fc.boolean(), fc.string()),
    recipe: fc.oneof(
      fc.record({ length: fc.integer({ min: -5, max: 100 }), characterSets: fc.array(fc.string()) }),
      fc.constant(null),
    ),
  },
  { requiredKeys: [] },
);
const badItem = fc.record(
  {
    title: fc.oneof(fc.string({ unit: 'binary', maxLength: 30 }), fc.integer(), fc.constant('')),
    category: fc.oneof(fc.constantFrom('LOGIN', 'CUSTOM', 'DOCUMENT', 'nope'), fc.integer()),
    fields: fc.oneof(fc.array(badField, { maxLength: 4 }), fc.string()),
    sections: fc.oneof(
      fc.array(fc.record({ id: fc.string(), label: fc.anything() }), { maxLength: 3 }),
      fc.integer(),
    ),
    tags: fc.oneof(fc.array(fc.anything(), { maxLength: 3 }), fc.string()),
    urls: fc.oneof(fc.array(fc.record({ href: fc.anything() }), { maxLength: 2 }), fc.boolean()),
    version: fc.oneof(fc.integer(), fc.string()),
  },
  { requiredKeys: [] },
);
const badPatch = fc.oneof(
  fc.array(
    fc.record(
      {
        op: fc.constantFrom('add', 'remove', 'replace', 'move', 'test', ''),
        path: fc.oneof(
          fc.constantFrom(
            '/',
            '/title',
            '/fields/password/value',
            '/tags/-',
            '/tags/9',
            '/vault',
            '/fields/~2',
          ),
          fc.string(),
        ),
        value: fc.anything(),
      },
      { requiredKeys: [] },
    ),
    { maxLength: 4 },
  ),
  fc.anything(),
);

describe('Connect API with hostile input', () => {
  for (const [name, method, url, body] of [
    ['POST item', 'POST', () => `/v1/vaults/${vault}/items`, badItem],
    ['PUT item', 'PUT', () => `/v1/vaults/${vault}/items/${item}`, badItem],
    ['PATCH item', 'PATCH', () => `/v1/vaults/${vault}/items/${item}`, badPatch],
  ] as const) {
    it(`${name}: never a 5xx; a refused request writes nothing`, async () => {
      await fc.assert(
        fc.asyncProperty(body as fc.Arbitrary<unknown>, async (payload) => {
          const before = contentState();
          const json = JSON.stringify(payload) ?? 'null';
          const res = await send(method, url(), json);
          expect(res.statusCode, `${json} → ${res.body}`).toBeLessThan(500);
          if (res.statusCode >= 400) {
            expectConnectClientError(res, json);
            expect(contentState()).toBe(before);
          }
        }),
        { numRuns: 150 },
      );
    });
  }

  it('filters and paging parameters: never a 5xx', async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ unit: 'binary', maxLength: 60 }), async (raw) => {
        const q = encodeURIComponent(raw);
        for (const url of [
          `/v1/vaults?filter=${q}`,
          `/v1/vaults/${vault}/items?filter=${q}`,
          `/v1/vaults/${vault}/items?filter=title%20eq%20"${q}`,
          `/v1/activity?limit=${q}&offset=${q}`,
          `/v1/vaults/${vault}/items/${item}/files?inline_files=${q}`,
        ]) {
          const res = await send('GET', url);
          expect(res.statusCode, `${url} → ${res.body}`).toBeLessThan(500);
        }
      }),
      { numRuns: 100 },
    );
  });
});

describe('an uploaded file name', () => {
  const upload = (name: string) =>
    connect.inject({
      method: 'POST',
      url: `/v1/vaults/${vault}/items/${item}/files?name=${encodeURIComponent(name)}`,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/octet-stream' },
      payload: Buffer.from('x'),
    });

  // Readers see file names in listings and in `keyhold item get`, printed as they are: a name
  // is held to the rules the admin API applies to it, as titles are.
  it.each([
    ['an ANSI escape', 'report\u001b[2J.txt'],
    ['a newline', 'a\nforged line'],
    ['NUL', 'a\u0000b'],
    ['a C1 control', 'a\u009bb'],
    ['only spaces', '   '],
  ])('with %s is refused, as on the admin API, and stores nothing', async (_what, name) => {
    const before = contentState();
    const res = await upload(name);
    expect(res.statusCode).toBe(400);
    expect(res.json().message).toMatch(/^query: name: must not/);
    expect(contentState()).toBe(before);
  });

  it('keeps any other name as sent', async () => {
    const res = await upload('Ünïcode räport (final) [2].pdf');
    expect(res.statusCode).toBe(201);
    expect(res.json().name).toBe('Ünïcode räport (final) [2].pdf');
  });
});
