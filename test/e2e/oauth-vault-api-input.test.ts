import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type OAuthFixture, startOAuthFixture, userTokens } from '../helpers/oauth.js';

/**
 * The user vault API (`/api/v1`, the Connect routes on the central service's Fastify server) reads
 * requests as a Connect listener does: strict filters, `application/json-patch+json` for PATCH,
 * the `TOTP` field type as `OTP`. Over a real socket, with a real OAuth access token.
 */
let f: OAuthFixture;
let vault: { id: string };
let token: string;
const REDIRECT = 'http://127.0.0.1:7777/callback';
const MEMBER_PASSWORD = 'member password of some length';
const ITEM_FORMS = '(filters are title eq "…", title co "…" or tag eq "…", joined with and/or)';

beforeAll(async () => {
  f = await startOAuthFixture({ KEYHOLD_BODY_LIMIT: '4096' });
  vault = await f.admin('POST', '/vaults', { name: 'Personal' });
  for (const [title, tags] of [
    ['Alpha', ['a']],
    ['Beta', ['b']],
    ['Say "cheese"', ['c']],
  ] as const) {
    await f.admin('POST', `/vaults/${vault.id}/items`, { title, tags });
  }
  // A member who may read and write the vault (the consent page offers vaults the user holds).
  const member = await f.admin<{ id: string }>('POST', '/users', {
    email: 'member@example.com',
    password: MEMBER_PASSWORD,
    role: 'member',
  });
  await f.admin('PUT', `/users/${member.id}/vaults/${vault.id}`, { permissions: ['read', 'write'] });
  const client = await f.admin<{ clientId: string; clientSecret: string }>('POST', '/clients', {
    name: 'Input checker',
    redirectUris: [REDIRECT],
    scopes: ['vault:read', 'vault:write'],
  });
  const user = { email: 'member@example.com', password: MEMBER_PASSWORD };
  token = (
    await userTokens(f.issuer, client, user, { scope: 'vault:read vault:write', redirectUri: REDIRECT })
  ).access_token;
}, 60_000);

afterAll(async () => {
  await f?.close();
});

const api = (path: string, init: RequestInit = {}) =>
  fetch(`${f.url}/api${path}`, {
    ...init,
    headers: { authorization: `Bearer ${token}`, ...(init.headers ?? {}) },
  });

describe('/api/v1 filters', () => {
  const titles = async (filter: string) => {
    const res = await api(`/v1/vaults/${vault.id}/items?filter=${filter}`);
    expect(res.status, filter).toBe(200);
    return ((await res.json()) as { title: string }[]).map((i) => i.title).sort();
  };

  it('joins comparisons with and / or, reads escapes, + and unescaped inner quotes as a Connect listener does', async () => {
    expect(await titles(encodeURIComponent('title eq "Alpha" or tag eq "b"'))).toEqual(['Alpha', 'Beta']);
    expect(await titles(encodeURIComponent('title co "a" and tag eq "a"'))).toEqual(['Alpha']);
    expect(await titles(encodeURIComponent('title eq "Say \\"cheese\\""'))).toEqual(['Say "cheese"']);
    expect(await titles('title%20eq%20%22Say%20"cheese"%22')).toEqual(['Say "cheese"']);
    expect(await titles('title+eq+%22Alpha%22+or+title+eq+%22Beta%22')).toEqual(['Alpha', 'Beta']);
    const vaults = await api(`/v1/vaults?filter=${encodeURIComponent('name eq "Personal" or name eq "x"')}`);
    expect(((await vaults.json()) as { id: string }[]).map((v) => v.id)).toEqual([vault.id]);
  });

  it('answers 400 quoting the filter to one that does not parse whole, never [] or a partial match', async () => {
    for (const [filter, where] of [
      [
        'title eq "Alpha" or title eq "Beta" junk',
        'at character 37: expected and, or or the end of the filter',
      ],
      ['title eq "Alpha', 'at character 10: the value has no closing quote'],
      ['title eq "Alpha" and', 'at character 21: expected title or tag'],
    ]) {
      const res = await api(`/v1/vaults/${vault.id}/items?filter=${encodeURIComponent(filter ?? '')}`);
      expect(res.status, filter).toBe(400);
      expect(await res.json()).toEqual({
        status: 400,
        message: `Invalid filter ${JSON.stringify(filter)} ${where} ${ITEM_FORMS}`,
      });
    }
    const vaults = await api(`/v1/vaults?filter=${encodeURIComponent('name eq "Personal" x')}`);
    expect(vaults.status).toBe(400);
  });
});

describe('/api/v1 request bodies', () => {
  const send = (method: string, path: string, body: string, contentType: string) =>
    api(path, { method, headers: { 'content-type': contentType }, body });

  it('PATCH takes application/json-patch+json, strict and limited as JSON; create does not', async () => {
    const created = await send(
      'POST',
      `/v1/vaults/${vault.id}/items`,
      '{"title":"to patch"}',
      'application/json',
    );
    expect(created.status).toBe(200);
    const { id } = (await created.json()) as { id: string };
    const path = `/v1/vaults/${vault.id}/items/${id}`;
    const ops = JSON.stringify([{ op: 'replace', path: '/title', value: 'patched' }]);
    const ok = await send('PATCH', path, ops, 'application/json-patch+json');
    expect(ok.status).toBe(200);
    expect(((await ok.json()) as { title: string }).title).toBe('patched');
    expect((await send('PATCH', path, '[{"op":', 'application/json-patch+json')).status).toBe(400);
    const proto = await send(
      'PATCH',
      path,
      '[{"op":"add","path":"/tags/-","value":{"__proto__":{}}}]',
      'application/json-patch+json',
    );
    expect(proto.status).toBe(400);
    const big = JSON.stringify([{ op: 'replace', path: '/title', value: 'x'.repeat(5000) }]);
    expect((await send('PATCH', path, big, 'application/json-patch+json')).status).toBe(413);
    const text = await send('PATCH', path, ops, 'text/plain');
    expect(text.status).toBe(415);
    const refused = await send(
      'POST',
      `/v1/vaults/${vault.id}/items`,
      '{"title":"x"}',
      'application/json-patch+json',
    );
    expect(refused.status).toBe(415);
    expect(await refused.json()).toEqual({
      status: 415,
      message: "Unsupported Content-Type 'application/json-patch+json': send the body as application/json",
    });
  });

  it('accepts the field type TOTP as OTP on create and PATCH, and serves OTP', async () => {
    const uri = 'otpauth://totp/x?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP';
    const created = await send(
      'POST',
      `/v1/vaults/${vault.id}/items`,
      JSON.stringify({ title: 'otp', fields: [{ id: 'one', type: 'TOTP', value: uri }] }),
      'application/json',
    );
    expect(created.status).toBe(200);
    const item = (await created.json()) as { id: string; fields: { type: string; totp?: string }[] };
    expect(item.fields[0]).toMatchObject({ type: 'OTP', totp: expect.stringMatching(/^\d{6}$/) });
    const patched = await send(
      'PATCH',
      `/v1/vaults/${vault.id}/items/${item.id}`,
      JSON.stringify([{ op: 'add', path: '/fields', value: { id: 'two', type: 'TOTP', value: uri } }]),
      'application/json-patch+json',
    );
    expect(patched.status).toBe(200);
    const fields = ((await patched.json()) as { fields: { type: string }[] }).fields;
    expect(fields.map((x) => x.type)).toEqual(['OTP', 'OTP']);
  });
});
