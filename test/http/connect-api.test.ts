import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { adminSetup, connectAppFor, type InjectableConnect } from '../helpers/connect-app.js';

/** The Connect API's routes, shapes, filters, statuses and headers (shared/reference/connect-compat.md). */
let t: TestApp;
let setup: ReturnType<typeof adminSetup>;
let connect: InjectableConnect;
let vault: string;
let token: string;

const req = (method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', url: string, payload?: unknown) =>
  connect.inject({
    method,
    url,
    // Clients send Content-Type: application/json on GET and DELETE too, with no body.
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    ...(payload === undefined ? {} : { payload: JSON.stringify(payload) }),
  });

beforeAll(async () => {
  t = await startTestApp({ KEYHOLD_MAX_INLINE_FILE_SIZE: '2048' });
  setup = adminSetup(t);
  vault = (await setup.vault('Production')).id;
  const other = (await setup.vault('Staging')).id;
  const server = (await setup.server([vault, other])).id;
  token = (
    await setup.token(server, [
      { vaultId: vault, permissions: ['read', 'write'] },
      { vaultId: other, permissions: ['read'] },
    ])
  ).token;
  connect = await connectAppFor(t, server);
});
afterAll(async () => {
  await connect.close();
  await t.close();
});

describe('vaults', () => {
  it('filters by name or title, with %20 or + for spaces, answering with a trailing slash too', async () => {
    for (const url of [
      '/v1/vaults?filter=title%20eq%20%22Production%22',
      '/v1/vaults/?filter=name+eq+%22Production%22',
      '/v1/vaults?filter=TITLE%20EQ%20"Production"',
    ]) {
      const res = await req('GET', url);
      expect(res.statusCode, url).toBe(200);
      expect(res.json().map((v: { name: string }) => v.name)).toEqual(['Production']);
    }
    expect((await req('GET', '/v1/vaults?filter=title%20eq%20%22production%22')).json()).toEqual([]);
  });

  it('refuses an unparsable filter with a 400 that says where and what is accepted', async () => {
    const res = await req('GET', '/v1/vaults?filter=name%20ne%20%22x%22');
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual({
      status: 400,
      message:
        'Invalid filter "name ne \\"x\\"" at character 6: name takes eq ' +
        '(filters are name eq "…" or title eq "…", joined with and/or)',
    });
  });

  it('joins name comparisons with or, and refuses trailing junk rather than answering []', async () => {
    const names = async (filter: string) => {
      const res = await req('GET', `/v1/vaults?filter=${encodeURIComponent(filter)}`);
      return res.statusCode === 200
        ? res
            .json()
            .map((v: { name: string }) => v.name)
            .sort()
        : res.statusCode;
    };
    expect(await names('name eq "Production" or title eq "Staging"')).toEqual(['Production', 'Staging']);
    expect(await names('name eq "Production" and name eq "Staging"')).toEqual([]);
    expect(await names('name eq "Production" junk')).toBe(400);
    expect(await names('name eq "Production" or')).toBe(400);
    expect(await names('name eq "Production')).toBe(400);
  });

  it('answers a malformed id with 400 and an unknown one with 404', async () => {
    expect((await req('GET', '/v1/vaults/not-an-id')).json()).toEqual({
      status: 400,
      message: 'path: vaultId: Invalid Vault UUID: expected 26 characters of a-z and 0-9',
    });
    const unknown = 'a'.repeat(26);
    expect((await req('GET', `/v1/vaults/${unknown}`)).json()).toEqual({
      status: 404,
      message: `vault ${unknown} not found`,
    });
  });
});

describe('items', () => {
  let itemId: string;

  it('creates (200) what clients send: no ids, empty purpose, Go SDK zero values, Section_ ids', async () => {
    const res = await req('POST', `/v1/vaults/${vault}/items/`, {
      id: '',
      title: 'R&D "db" #1',
      category: 'DATABASE',
      tags: ['prod', 'db'],
      createdAt: '0001-01-01T00:00:00Z',
      updatedAt: '0001-01-01T00:00:00Z',
      sections: [{ id: 'Section_ab12', label: 'conn' }],
      fields: [
        {
          id: '',
          type: '',
          purpose: '',
          label: 'host',
          value: 'db.internal',
          section: { id: 'Section_ab12' },
        },
        {
          purpose: 'PASSWORD',
          generate: true,
          recipe: { length: 20, characterSets: ['DIGITS'], excludeCharacters: '' },
        },
      ],
    });
    expect(res.statusCode).toBe(200);
    const item = res.json();
    itemId = item.id;
    expect(item.fields[1].value).toMatch(/^\d{20}$/);
    expect(item.fields[0]).toMatchObject({ type: 'STRING', label: 'host', section: { id: 'Section_ab12' } });
    expect(item.createdAt).not.toBe('0001-01-01T00:00:00Z');
  });

  it('lists summaries with vault.id and filters by title eq/co and tag, unescaped & and " included', async () => {
    await req('POST', `/v1/vaults/${vault}/items`, { title: 'Other thing', tags: ['misc'] });
    const all = (await req('GET', `/v1/vaults/${vault}/items`)).json();
    expect(all).toHaveLength(2);
    expect(all[0]).not.toHaveProperty('fields');
    expect(all[0].vault).toEqual({ id: vault });
    const titles = async (filter: string) =>
      (await req('GET', `/v1/vaults/${vault}/items?filter=${filter}`))
        .json()
        .map((i: { title: string }) => i.title);
    expect(await titles('title eq "R&D \\"db\\" #1"'.replaceAll(' ', '%20').replaceAll('#', '%23'))).toEqual([
      'R&D "db" #1',
    ]);
    expect(await titles('title+co+%22r%26d%22')).toEqual(['R&D "db" #1']);
    // As the JS SDK sends it: & unescaped, so split across query parameters, and " unescaped.
    expect(await titles('title%20co%20%22R&D%20"db"%22')).toEqual(['R&D "db" #1']);
    expect(await titles('tag%20eq%20%22misc%22')).toEqual(['Other thing']);
    expect(await titles('title%20eq%20%22R%26D%22')).toEqual([]);
  });

  it('joins item comparisons with and / or and parentheses, reading escaped quotes and backslashes', async () => {
    await req('POST', `/v1/vaults/${vault}/items`, { title: 'C:\\ "quoted"', tags: ['misc', 'win'] });
    const titles = async (filter: string) => {
      const res = await req('GET', `/v1/vaults/${vault}/items?filter=${encodeURIComponent(filter)}`);
      expect(res.statusCode, `${filter} → ${res.body}`).toBe(200);
      return res
        .json()
        .map((i: { title: string }) => i.title)
        .sort();
    };
    expect(await titles('title eq "Other thing" or tag eq "prod"')).toEqual(['Other thing', 'R&D "db" #1']);
    expect(await titles('tag eq "misc" and tag eq "win"')).toEqual(['C:\\ "quoted"']);
    expect(await titles('(tag eq "misc" or tag eq "prod") and title co "thing"')).toEqual(['Other thing']);
    expect(await titles('title eq "C:\\\\ \\"quoted\\""')).toEqual(['C:\\ "quoted"']);
    expect(await titles('TITLE EQ "a" OR TITLE EQ "b"')).toEqual([]);
  });

  it('answers 400 to a filter that does not parse as a whole: never [] or a partial match', async () => {
    const cases: [string, string][] = [
      ['title eq "a" or title eq "b" junk', 'at character 30: expected and, or or the end of the filter'],
      ['title eq "R&D" garbage', 'at character 16: expected and, or or the end of the filter'],
      ['title eq "Other thing', 'at character 10: the value has no closing quote'],
      ['title eq "Other thing" and', 'at character 27: expected title or tag'],
      ['(tag eq "misc"', 'at character 15: expected )'],
      ['tag eq "misc")', 'at character 14: unmatched )'],
      ['title eq "\\q"', 'at character 11: invalid escape: use \\" \\\\ \\/ \\b \\f \\n \\r \\t or \\uXXXX'],
      ['not (tag eq "misc")', 'at character 1: expected title or tag'],
      ['title sw "R"', 'at character 7: title takes eq or co'],
    ];
    for (const [filter, where] of cases) {
      const res = await req('GET', `/v1/vaults/${vault}/items/?filter=${encodeURIComponent(filter)}`);
      expect(res.statusCode, filter).toBe(400);
      expect(res.json(), filter).toEqual({
        status: 400,
        message: `Invalid filter ${JSON.stringify(filter)} ${where} (filters are title eq "…", title co "…" or tag eq "…", joined with and/or)`,
      });
    }
  });

  it('quotes at most 60 characters of the filter in the message, with line breaks escaped', async () => {
    const filter = `tag eq "x" junk\r\n{"forged":true}${'a'.repeat(100)}`;
    const res = await req('GET', `/v1/vaults/${vault}/items?filter=${encodeURIComponent(filter)}`);
    expect(res.statusCode).toBe(400);
    const { message } = res.json();
    expect(message).toContain(JSON.stringify(`${filter.slice(0, 60)}…`));
    expect(message).not.toMatch(/[\r\n]/);
    expect(message).not.toContain('a'.repeat(61));
  });

  it('replaces with PUT, echoing read-only attributes, and refuses a stale version with 409', async () => {
    const current = (await req('GET', `/v1/vaults/${vault}/items/${itemId}`)).json();
    const updated = await req('PUT', `/v1/vaults/${vault}/items/${itemId}`, { ...current, title: 'renamed' });
    expect(updated.statusCode).toBe(200);
    expect(updated.json()).toMatchObject({ title: 'renamed', version: 2 });
    expect(updated.json().fields[1].value).toBe(current.fields[1].value);
    const stale = await req('PUT', `/v1/vaults/${vault}/items/${itemId}`, {
      ...current,
      title: 'lost update',
    });
    expect(stale.statusCode).toBe(409);
    expect(stale.json().message).toMatch(
      /has changed: it is at version 2, the update was based on version 1/,
    );
  });

  it('patches with RFC 6902 operations; an empty patch returns the item', async () => {
    const patched = await req('PATCH', `/v1/vaults/${vault}/items/${itemId}`, [
      { op: 'replace', path: '/title', value: 'patched' },
      { op: 'add', path: '/tags/-', value: 'new' },
      { op: 'replace', path: '/fields/password/value', value: 'set-by-patch' },
    ]);
    expect(patched.statusCode).toBe(200);
    const item = patched.json();
    expect(item.title).toBe('patched');
    expect(item.tags).toEqual(['prod', 'db', 'new']);
    expect(item.fields.find((f: { id: string }) => f.id === 'password')).not.toHaveProperty('entropy');
    const empty = await req('PATCH', `/v1/vaults/${vault}/items/${itemId}`, []);
    expect(empty.json().title).toBe('patched');
    const bad = await req('PATCH', `/v1/vaults/${vault}/items/${itemId}`, [
      { op: 'replace', path: '/vault', value: {} },
    ]);
    expect(bad.statusCode).toBe(400);
  });

  it('accepts the field type TOTP (the name in the spec) as OTP, on create and on PATCH, and serves OTP', async () => {
    const uri = 'otpauth://totp/x?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP';
    const created = await req('POST', `/v1/vaults/${vault}/items`, {
      title: 'totp alias',
      fields: [
        { id: 'one', type: 'TOTP', label: 'otp', value: uri },
        { id: 'two', type: 'STRING', label: 'later', value: uri },
      ],
    });
    expect(created.statusCode).toBe(200);
    const id = created.json().id;
    expect(created.json().fields[0]).toMatchObject({ type: 'OTP', totp: expect.stringMatching(/^\d{6}$/) });
    const patched = await req('PATCH', `/v1/vaults/${vault}/items/${id}`, [
      { op: 'replace', path: '/fields/two/type', value: 'TOTP' },
      { op: 'add', path: '/fields', value: { id: 'three', type: 'TOTP', value: uri } },
    ]);
    expect(patched.statusCode).toBe(200);
    const read = (await req('GET', `/v1/vaults/${vault}/items/${id}`)).json();
    expect(read.fields.map((f: { type: string }) => f.type)).toEqual(['OTP', 'OTP', 'OTP']);
    expect(read.fields.every((f: { totp?: string }) => /^\d{6}$/.test(f.totp ?? ''))).toBe(true);
    expect(JSON.stringify(read)).not.toContain('TOTP');
    const bad = await req('PATCH', `/v1/vaults/${vault}/items/${id}`, [
      { op: 'replace', path: '/fields/one/type', value: 'totp' },
    ]);
    expect(bad.statusCode).toBe(400);
  });

  it('returns the current TOTP code of OTP fields', async () => {
    const item = (
      await req('POST', `/v1/vaults/${vault}/items`, {
        title: 'otp',
        fields: [
          { type: 'OTP', label: 'otp', value: 'otpauth://totp/x?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP' },
        ],
      })
    ).json();
    expect(item.fields[0].totp).toMatch(/^\d{6}$/);
  });

  it('refuses CUSTOM and DOCUMENT on create, and deletes with 204 and an empty body', async () => {
    for (const category of ['CUSTOM', 'DOCUMENT']) {
      expect((await req('POST', `/v1/vaults/${vault}/items`, { title: 'x', category })).statusCode).toBe(400);
    }
    const res = await req('DELETE', `/v1/vaults/${vault}/items/${itemId}`);
    expect(res.statusCode).toBe(204);
    expect(res.body).toBe('');
    expect((await req('GET', `/v1/vaults/${vault}/items/${itemId}`)).json()).toEqual({
      status: 404,
      message: `item ${itemId} not found`,
    });
  });
});

describe('files', () => {
  it('lists, inlines (within the limit), serves content, and sends 413 with a pointer past the limit', async () => {
    const item = (await req('POST', `/v1/vaults/${vault}/items`, { title: 'with files' })).json();
    const upload = (name: string, bytes: Buffer) =>
      connect.inject({
        method: 'POST',
        url: `/v1/vaults/${vault}/items/${item.id}/files?name=${name}`,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/octet-stream' },
        payload: bytes,
      });
    const small = (await upload('small.bin', Buffer.from([1, 2, 3, 250]))).json();
    expect(small.content_path).toBe(`/v1/vaults/${vault}/items/${item.id}/files/${small.id}/content`);
    const listed = (await req('GET', `/v1/vaults/${vault}/items/${item.id}/files?inline_files=true`)).json();
    expect(listed).toEqual([{ ...small, content: Buffer.from([1, 2, 3, 250]).toString('base64') }]);
    const one = (
      await req('GET', `/v1/vaults/${vault}/items/${item.id}/files/${small.id}?inline_content=true`)
    ).json();
    expect(one.content).toBe('AQID+g==');
    const content = await req('GET', small.content_path);
    expect(content.rawPayload.equals(Buffer.from([1, 2, 3, 250]))).toBe(true);
    expect(content.headers['content-disposition']).toContain('small.bin');
    const big = (await upload('big.bin', Buffer.alloc(4096, 7))).json();
    const tooBig = await req('GET', `/v1/vaults/${vault}/items/${item.id}/files/${big.id}?inline_files=true`);
    expect(tooBig.statusCode).toBe(413);
    expect(tooBig.json().message).toContain(big.content_path);
    expect(
      (await req('GET', `/v1/vaults/${vault}/items/${item.id}/files/${big.id}`)).json(),
    ).not.toHaveProperty('content');
  });
});

describe('activity, probes, metrics', () => {
  it('pages the server’s API requests with Content-Range', async () => {
    const page = await req('GET', '/v1/activity?limit=2&offset=1');
    expect(page.statusCode).toBe(200);
    const events = page.json();
    expect(events).toHaveLength(2);
    expect(page.headers['content-range']).toMatch(/^2-3\/\d+$/);
    expect(events[0]).toMatchObject({
      action: expect.stringMatching(/^(READ|CREATE|UPDATE|DELETE)$/),
      result: 'SUCCESS',
    });
    expect(events[0].actor).toHaveProperty('jti');
    expect(JSON.stringify(events)).not.toContain('set-by-patch');
  });

  it('answers probes without a token', async () => {
    const heartbeat = await connect.inject({ url: '/heartbeat' });
    expect(heartbeat.body).toBe('.');
    expect(heartbeat.headers['content-type']).toMatch(/^text\/plain/);
    for (const url of ['/health', '/v1/health']) {
      expect((await connect.inject({ url })).json()).toMatchObject({
        name: 'Keyhold Connect',
        dependencies: [{ status: 'ACTIVE' }],
      });
    }
  });

  it('exports Prometheus metrics with route templates, never concrete ids', async () => {
    const text = (await connect.inject({ url: '/metrics' })).body;
    expect(text).toContain(
      'keyhold_connect_requests_total{method="GET",route="/v1/vaults/:vaultId/items",status="200"}',
    );
    expect(text).not.toContain(vault);
    expect(text).toContain('process_resident_memory_bytes');
  });
});
