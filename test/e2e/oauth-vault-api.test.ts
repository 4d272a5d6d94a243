import { createHash, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  authorizeInteractively,
  Browser,
  formBody,
  type OAuthFixture,
  startOAuthFixture,
} from '../helpers/oauth.js';

/**
 * The user vault API (`/api/v1`) with OAuth access tokens: the token reads exactly what the user
 * approved on the consent page, intersected with what the user may do, and stops at once when
 * the grant is revoked. Responses have the Connect shapes.
 */
let f: OAuthFixture;
let personal: { id: string };
let work: { id: string };
let client: { clientId: string; clientSecret: string };
let member: { id: string; email: string };
const REDIRECT = 'http://127.0.0.1:7777/callback';
const MEMBER_PASSWORD = 'member password of some length';

beforeAll(async () => {
  f = await startOAuthFixture();
  personal = await f.admin('POST', '/vaults', { name: 'Personal' });
  work = await f.admin('POST', '/vaults', { name: 'Work' });
  member = await f.admin('POST', '/users', {
    email: 'member@example.com',
    password: MEMBER_PASSWORD,
    role: 'member',
  });
  // The member may read and write Personal, and only read Work.
  await f.admin('PUT', `/users/${member.id}/vaults/${personal.id}`, { permissions: ['read', 'write'] });
  await f.admin('PUT', `/users/${member.id}/vaults/${work.id}`, { permissions: ['read'] });
  for (const v of [personal, work]) {
    await f.admin('POST', `/vaults/${v.id}/items`, {
      category: 'LOGIN',
      title: `login in ${v.id}`,
      fields: [{ id: 'password', type: 'CONCEALED', purpose: 'PASSWORD', value: `secret-${v.id}` }],
    });
  }
  client = await f.admin('POST', '/clients', {
    name: 'Vault reader',
    redirectUris: [REDIRECT],
    scopes: ['vault:read', 'vault:write'],
  });
}, 60_000);

afterAll(async () => {
  await f?.close();
});

async function accessToken(scope: string, choose?: (o: { scope: string; label: string }[]) => string[]) {
  const verifier = randomBytes(32).toString('base64url');
  const url = `${f.issuer}/authorize?${new URLSearchParams({
    response_type: 'code',
    client_id: client.clientId,
    redirect_uri: REDIRECT,
    scope,
    state: 's',
    code_challenge: createHash('sha256').update(verifier).digest('base64url'),
    code_challenge_method: 'S256',
  })}`;
  const callback = await authorizeInteractively(
    new Browser(),
    url,
    { email: member.email, password: MEMBER_PASSWORD },
    choose,
  );
  const response = await fetch(`${f.issuer}/token`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `Basic ${Buffer.from(`${client.clientId}:${client.clientSecret}`).toString('base64')}`,
    },
    body: formBody({
      grant_type: 'authorization_code',
      code: callback.searchParams.get('code') ?? '',
      redirect_uri: REDIRECT,
      code_verifier: verifier,
    }),
  });
  expect(response.status).toBe(200);
  return (await response.json()) as { access_token: string; scope: string };
}

const api = (token: string, path: string, init: RequestInit = {}) =>
  fetch(`${f.url}/api${path}`, {
    ...init,
    headers: { authorization: `Bearer ${token}`, ...(init.headers ?? {}) },
  });

describe('user vault API', () => {
  it('reads the approved vault and gets 403 on the other; revoking the grant kills the token', async () => {
    const tokens = await accessToken('vault:read', (options) =>
      options.filter((o) => o.label === 'Personal').map((o) => o.scope),
    );
    expect(tokens.scope).toBe(`vault:${personal.id}:read`);

    const vaults = (await (await api(tokens.access_token, '/v1/vaults')).json()) as { name: string }[];
    expect(vaults.map((v) => v.name)).toEqual(['Personal']);
    const [item] = (await (await api(tokens.access_token, `/v1/vaults/${personal.id}/items`)).json()) as {
      id: string;
    }[];
    const full = (await (
      await api(tokens.access_token, `/v1/vaults/${personal.id}/items/${item?.id}`)
    ).json()) as {
      fields: { id: string; value?: string }[];
    };
    expect(full.fields.find((x) => x.id === 'password')?.value).toBe(`secret-${personal.id}`);

    const other = await api(tokens.access_token, `/v1/vaults/${work.id}/items`);
    expect(other.status).toBe(403);
    const write = await api(tokens.access_token, `/v1/vaults/${personal.id}/items`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ category: 'LOGIN', title: 'no' }),
    });
    expect(write.status).toBe(403);

    const [grant] = await f.admin<{ id: string }[]>('GET', `/grants?userId=${member.id}`);
    await f.admin('DELETE', `/grants/${grant?.id}`);
    const dead = await api(tokens.access_token, '/v1/vaults');
    expect(dead.status).toBe(401);
    expect(dead.headers.get('www-authenticate')).toContain('invalid_token');
  });

  it('never lets a scope outgrow the user: vault:write on a read-only vault is not offered', async () => {
    const tokens = await accessToken('vault:write');
    expect(tokens.scope).toBe(`vault:${personal.id}:write`);
    const created = await api(tokens.access_token, `/v1/vaults/${personal.id}/items`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ category: 'LOGIN', title: 'made through OAuth' }),
    });
    expect(created.status).toBe(200);
    const workWrite = await api(tokens.access_token, `/v1/vaults/${work.id}/items`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ category: 'LOGIN', title: 'no' }),
    });
    expect(workWrite.status).toBe(403);
  });

  it('refuses tokens for another audience, garbage and no token with 401', async () => {
    await f.admin('POST', '/resource-servers', {
      identifier: 'https://elsewhere.example.com',
      scopes: [{ name: 'elsewhere:read', description: 'x' }],
    });
    const cc = await f.admin<{ clientId: string; clientSecret: string }>('POST', '/clients', {
      name: 'machine',
      redirectUris: [],
      scopes: ['elsewhere:read'],
    });
    const response = await fetch(`${f.issuer}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: formBody({
        grant_type: 'client_credentials',
        scope: 'elsewhere:read',
        client_id: cc.clientId,
        client_secret: cc.clientSecret,
      }),
    });
    expect(response.status).toBe(401); // registered for client_secret_basic, not post
    const basic = await fetch(`${f.issuer}/token`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from(`${cc.clientId}:${cc.clientSecret}`).toString('base64')}`,
      },
      body: formBody({ grant_type: 'client_credentials', scope: 'elsewhere:read' }),
    });
    const { access_token } = (await basic.json()) as { access_token: string };
    expect((await api(access_token, '/v1/vaults')).status).toBe(401);
    expect((await api('khat_garbage', '/v1/vaults')).status).toBe(401);
    expect((await fetch(`${f.url}/api/v1/vaults`)).status).toBe(401);
  });

  it('answers an integrity error, never the old secret, for an item pointed back at an older version', async () => {
    const item = await f.admin<{ id: string }>('POST', `/vaults/${personal.id}/items`, {
      category: 'LOGIN',
      title: 'rolled back',
      fields: [{ id: 'password', type: 'CONCEALED', purpose: 'PASSWORD', value: 'old-secret-5e1' }],
    });
    await f.admin('PUT', `/vaults/${personal.id}/items/${item.id}`, {
      category: 'LOGIN',
      title: 'rolled back',
      fields: [{ id: 'password', type: 'CONCEALED', purpose: 'PASSWORD', value: 'new-secret-0b7' }],
    });
    const tokens = await accessToken('vault:read', (options) =>
      options.filter((o) => o.label === 'Personal').map((o) => o.scope),
    );
    const path = `/v1/vaults/${personal.id}/items/${item.id}`;
    expect((await api(tokens.access_token, path)).status).toBe(200);
    const raw = new Database(join(f.dataDir, 'keyhold.db'));
    raw.prepare('update items set version = 1 where id = ?').run(item.id);
    raw.close();
    const res = await api(tokens.access_token, path);
    const body = await res.text();
    expect(res.status).toBe(500);
    expect(JSON.parse(body)).toEqual({ status: 500, message: `Integrity check failed for item ${item.id}` });
    expect(body).not.toContain('old-secret-5e1');
  });
});
