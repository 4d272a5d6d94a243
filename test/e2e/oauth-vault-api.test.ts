import { createHash, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  authorizeInteractively,
  Browser,
  type ConsentOption,
  formBody,
  type OAuthFixture,
  startOAuthFixture,
  userTokens,
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

async function accessToken(scope: string, choose?: (o: ConsentOption[]) => string[]) {
  const user = { email: member.email, password: MEMBER_PASSWORD };
  return userTokens(f.issuer, client, user, { scope, redirectUri: REDIRECT, ...(choose ? { choose } : {}) });
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
    // A secret in the form is taken from a client registered for Basic too (RFC 6749 §2.3.1).
    const basic = await fetch(`${f.issuer}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: formBody({
        grant_type: 'client_credentials',
        scope: 'elsewhere:read',
        client_id: cc.clientId,
        client_secret: cc.clientSecret,
      }),
    });
    expect(basic.status).toBe(200);
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
    // The token reads the vault; the item itself is first read once it is tampered with (a view
    // read before would be answered from memory as it was verified: storage/cache/item-views.ts).
    expect((await api(tokens.access_token, `/v1/vaults/${personal.id}`)).status).toBe(200);
    const raw = new Database(join(f.dataDir, 'keyhold.db'));
    raw.prepare('update items set version = 1 where id = ?').run(item.id);
    raw.close();
    const res = await api(tokens.access_token, path);
    const body = await res.text();
    expect(res.status).toBe(500);
    expect(JSON.parse(body)).toEqual({ status: 500, message: `Integrity check failed for item ${item.id}` });
    expect(body).not.toContain('old-secret-5e1');
    // The vault is shared with the tests below, whose listings would meet the tampered row.
    await f.admin('DELETE', `/vaults/${personal.id}/items/${item.id}?permanent=true`);
  });
});

describe('consenting again (prompt=consent)', () => {
  type Tokens = { access_token: string; refresh_token: string; scope: string };
  let app: { clientId: string; clientSecret: string };
  const basic = () => `Basic ${Buffer.from(`${app.clientId}:${app.clientSecret}`).toString('base64')}`;
  const endpoint = (path: string, form: Record<string, string>) =>
    fetch(`${f.issuer}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic() },
      body: formBody(form),
    });

  /**
   * One authorization request through sign-in and (if shown) the consent page. Returns the
   * options the page showed (undefined when no page was shown) and the tokens (unless `pending`:
   * then `exchange` redeems the code later), or the error the client was sent back with.
   */
  async function authorize(
    prompt: string | undefined,
    choose: (o: ConsentOption[]) => string[] = (o) => o.filter((x) => x.checked).map((x) => x.scope),
    pending = false,
  ) {
    const verifier = randomBytes(32).toString('base64url');
    const url = `${f.issuer}/authorize?${new URLSearchParams({
      response_type: 'code',
      client_id: app.clientId,
      redirect_uri: REDIRECT,
      scope: 'vault:read',
      state: 's',
      code_challenge: createHash('sha256').update(verifier).digest('base64url'),
      code_challenge_method: 'S256',
      ...(prompt ? { prompt } : {}),
    })}`;
    let shown: ConsentOption[] | undefined;
    const callback = await authorizeInteractively(
      new Browser(),
      url,
      { email: member.email, password: MEMBER_PASSWORD },
      (options) => {
        shown = options;
        return choose(options);
      },
    );
    const error = callback.searchParams.get('error');
    if (error) return { shown, error };
    const exchange = async () => {
      const response = await endpoint('/token', {
        grant_type: 'authorization_code',
        code: callback.searchParams.get('code') ?? '',
        redirect_uri: REDIRECT,
        code_verifier: verifier,
      });
      expect(response.status).toBe(200);
      return (await response.json()) as Tokens;
    };
    return { shown, exchange, tokens: pending ? undefined : await exchange() };
  }

  const items = (token: string, vault: { id: string }) => api(token, `/v1/vaults/${vault.id}/items`);
  const introspect = async (token: string) =>
    (await (await endpoint('/introspect', { token })).json()) as { active: boolean; scope?: string };

  beforeAll(async () => {
    app = await f.admin('POST', '/clients', {
      name: 'Narrowing app',
      redirectUris: [REDIRECT],
      scopes: ['vault:read'],
    });
  });

  it('re-consent unticking a vault makes its tokens 403 there at once, and it is not silently reissued', async () => {
    const personalRead = `vault:${personal.id}:read`;
    const workRead = `vault:${work.id}:read`;
    const first = await authorize(undefined);
    expect(first.shown?.map(({ label, checked, granted }) => ({ label, checked, granted }))).toEqual([
      { label: 'Personal', checked: true, granted: false },
      { label: 'Work', checked: true, granted: false },
    ]);
    const old = first.tokens as Tokens;
    expect(old.scope.split(' ').sort()).toEqual([personalRead, workRead].sort());
    expect((await items(old.access_token, work)).status).toBe(200);

    // The page shows both vaults as already granted, ticked; the user unticks Work.
    const narrower = await authorize('consent', (options) =>
      options.filter((o) => o.label === 'Personal').map((o) => o.scope),
    );
    expect(narrower.shown?.map(({ label, checked, granted }) => ({ label, checked, granted }))).toEqual([
      { label: 'Personal', checked: true, granted: true },
      { label: 'Work', checked: true, granted: true },
    ]);
    expect(narrower.tokens?.scope).toBe(personalRead);

    // The tokens issued before lost Work at once: 403 there, Personal still readable.
    const refused = await items(old.access_token, work);
    expect(refused.status).toBe(403);
    expect(await refused.text()).not.toContain(`secret-${work.id}`);
    expect((await items(old.access_token, personal)).status).toBe(200);
    expect(await introspect(old.access_token)).toMatchObject({ active: true, scope: personalRead });
    // The old refresh token cannot bring Work back, and refreshes to Personal alone.
    const widen = await endpoint('/token', {
      grant_type: 'refresh_token',
      refresh_token: old.refresh_token,
      scope: `${personalRead} ${workRead}`,
    });
    expect(widen.status).toBe(400);
    expect(((await widen.json()) as { error: string }).error).toBe('invalid_scope');
    const refreshed = await endpoint('/token', {
      grant_type: 'refresh_token',
      refresh_token: old.refresh_token,
    });
    expect(refreshed.status).toBe(200);
    const renewed = (await refreshed.json()) as Tokens;
    expect(renewed.scope).toBe(personalRead);
    expect((await items(renewed.access_token, work)).status).toBe(403);

    // The next request gets a code at once (remembered consent) for Personal only.
    const silent = await authorize(undefined);
    expect(silent.shown).toBeUndefined();
    expect(silent.tokens?.scope).toBe(personalRead);

    // Asked again, the page ticks only what is granted; Work is offered, unticked, not marked.
    const third = await authorize('consent', () => []);
    expect(third.shown?.map(({ label, checked, granted }) => ({ label, checked, granted }))).toEqual([
      { label: 'Personal', checked: true, granted: true },
      { label: 'Work', checked: false, granted: false },
    ]);
    // Allowing nothing is a denial, and it empties the grant: every token of it ends.
    expect(third.error).toBe('access_denied');
    expect(await f.admin<unknown[]>('GET', `/grants?userId=${member.id}`)).toEqual(
      expect.not.arrayContaining([expect.objectContaining({ clientId: app.clientId })]),
    );
    for (const token of [old.access_token, renewed.access_token, silent.tokens?.access_token ?? '']) {
      expect((await items(token, personal)).status).toBe(401);
      expect(await introspect(token)).toEqual({ active: false });
    }
  });

  it('a code issued before the user narrowed the grant yields only what the grant still holds', async () => {
    const personalRead = `vault:${personal.id}:read`;
    const all = (o: ConsentOption[]) => o.map((x) => x.scope);
    const before = await authorize('consent', all, true);
    expect(before.shown?.map((o) => o.label)).toEqual(['Personal', 'Work']);
    const narrower = await authorize('consent', (o) =>
      o.filter((x) => x.label === 'Personal').map((x) => x.scope),
    );
    expect(narrower.tokens?.scope).toBe(personalRead);
    const late = await before.exchange?.();
    expect(late?.scope).toBe(personalRead);
    expect((await items(late?.access_token ?? '', work)).status).toBe(403);
  });
});
