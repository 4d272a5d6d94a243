import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  Browser,
  formBody,
  hiddenField,
  type OAuthFixture,
  startOAuthFixture,
  userTokens,
} from '../helpers/oauth.js';

/**
 * A disabled user's credentials stop at once, over real HTTP: the sign-in session, the vault API
 * access token, the refresh token and introspection, with no wait and no sweep. The state is
 * read on every use, which the tampered database proves (a row flipped under the service is
 * obeyed on the next request); disabling through the admin API also ends the sessions and
 * grants, so enabling again brings none of them back.
 */
let f: OAuthFixture;
let client: { clientId: string; clientSecret: string };
let member: { id: string; email: string };
let vault: { id: string };
const REDIRECT = 'http://127.0.0.1:7777/callback';
const PASSWORD = 'member password of some length';

beforeAll(async () => {
  f = await startOAuthFixture();
  vault = await f.admin('POST', '/vaults', { name: 'Personal' });
  member = await f.admin('POST', '/users', {
    email: 'member@example.com',
    password: PASSWORD,
    role: 'member',
  });
  await f.admin('PUT', `/users/${member.id}/vaults/${vault.id}`, { permissions: ['read'] });
  client = await f.admin('POST', '/clients', {
    name: 'Vault reader',
    redirectUris: [REDIRECT],
    scopes: ['vault:read'],
  });
}, 60_000);

afterAll(async () => {
  await f?.close();
});

const clientAuth = () =>
  `Basic ${Buffer.from(`${client.clientId}:${client.clientSecret}`).toString('base64')}`;

async function tokens() {
  const t = await userTokens(
    f.issuer,
    client,
    { email: member.email, password: PASSWORD },
    { scope: 'vault:read', redirectUri: REDIRECT },
  );
  if (!t.refresh_token) throw new Error('no refresh token');
  return t as { access_token: string; refresh_token: string };
}

/** Signs the member in on the login page; the browser then holds the session cookie. */
async function signIn(browser: Browser, password = PASSWORD) {
  const page = await (await browser.fetch(`${f.issuer}/login`)).text();
  return browser.fetch(`${f.issuer}/login`, {
    form: { csrf: hiddenField(page, 'csrf'), email: member.email, password },
  });
}

/** What each credential gets now. */
async function probe(browser: Browser, t: { access_token: string; refresh_token: string }) {
  const grants = await browser.fetch(`${f.issuer}/grants`);
  const api = await fetch(`${f.url}/api/v1/vaults`, {
    headers: { authorization: `Bearer ${t.access_token}` },
  });
  const introspection = await fetch(`${f.issuer}/introspect`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: clientAuth() },
    body: formBody({ token: t.access_token }),
  });
  return {
    session: grants.status,
    api: { status: api.status, body: (await api.json()) as { message?: string } },
    introspection: (await introspection.json()) as { active: boolean },
  };
}

async function refresh(refreshToken: string) {
  const response = await fetch(`${f.issuer}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: clientAuth() },
    body: formBody({ grant_type: 'refresh_token', refresh_token: refreshToken }),
  });
  return { status: response.status, body: (await response.json()) as Record<string, string> };
}

/** Sets `users.disabled_at` in the database file, under the running service. */
function setDisabledInFile(value: string | null) {
  const db = new Database(join(f.dataDir, 'keyhold.db'));
  try {
    db.prepare('UPDATE users SET disabled_at = ? WHERE id = ?').run(value, member.id);
  } finally {
    db.close();
  }
}

describe('a disabled user', () => {
  it('is refused on the very next use of every credential: the state is read on each use', async () => {
    const browser = new Browser();
    expect((await signIn(browser)).status).toBe(303);
    const t = await tokens();
    expect(await probe(browser, t)).toMatchObject({
      session: 200,
      api: { status: 200 },
      introspection: { active: true },
    });

    setDisabledInFile(new Date().toISOString());
    // No wait: the next request already sees it.
    const refused = await probe(browser, t);
    expect(refused.session).toBe(303); // to the login page: the session no longer signs anyone in
    expect(refused.api).toEqual({
      status: 401,
      body: { status: 401, message: 'the access token is refused: the user is disabled' },
    });
    expect(refused.introspection).toEqual({ active: false });
    expect(await refresh(t.refresh_token)).toEqual({
      status: 400,
      body: {
        error: 'invalid_grant',
        error_description: 'the refresh token is refused: the user is disabled',
      },
    });

    // Nothing was swept: the same credentials work again once the row says enabled.
    setDisabledInFile(null);
    expect(await probe(browser, t)).toMatchObject({
      session: 200,
      api: { status: 200 },
      introspection: { active: true },
    });
    expect((await refresh(t.refresh_token)).status).toBe(200);
  });

  it('disabled through the admin API loses its sessions and grants for good', async () => {
    const browser = new Browser();
    await signIn(browser);
    const t = await tokens();
    await f.admin('POST', `/users/${member.id}/disable`);
    const refused = await probe(browser, t);
    expect(refused.session).toBe(303);
    expect(refused.api.status).toBe(401);
    expect(refused.introspection).toEqual({ active: false });
    expect((await refresh(t.refresh_token)).body.error).toBe('invalid_grant');

    await f.admin('POST', `/users/${member.id}/enable`);
    // Enabled again: what existed before is gone, not revived.
    const after = await probe(browser, t);
    expect(after.session).toBe(303);
    expect(after.api.status).toBe(401);
    expect(after.introspection).toEqual({ active: false });
    expect((await refresh(t.refresh_token)).status).toBe(400);
  });

  it('is told "disabled" on the sign-in page only after the right password', async () => {
    await f.admin('POST', `/users/${member.id}/disable`);
    const wrong = await signIn(new Browser(), 'not the password at all');
    expect(wrong.status).toBe(401);
    const wrongPage = await wrong.text();
    expect(wrongPage).toContain('The email or password is wrong.');
    expect(wrongPage).not.toMatch(/disabled/i);

    const right = await signIn(new Browser());
    expect(right.status).toBe(403);
    expect(right.headers.get('set-cookie') ?? '').not.toContain('keyhold_session=khss');
    expect(await right.text()).toContain(
      'This user is disabled. Ask an administrator of the account to enable it.',
    );

    await f.admin('POST', `/users/${member.id}/enable`);
    expect((await signIn(new Browser())).status).toBe(303);
  });

  it('a vault API token says whether it is unknown, revoked or expired (401)', async () => {
    const message = async (token: string) => {
      const response = await fetch(`${f.url}/api/v1/vaults`, {
        headers: { authorization: `Bearer ${token}` },
      });
      return { status: response.status, message: ((await response.json()) as { message: string }).message };
    };
    expect(await message('kh_not_a_token')).toEqual({
      status: 401,
      message: 'the access token is not valid',
    });
    const expiring = await tokens();
    const db = new Database(join(f.dataDir, 'keyhold.db'));
    try {
      db.prepare(
        "UPDATE oauth_tokens SET expires_at = '2000-01-01T00:00:00.000Z' WHERE kind = 'access'",
      ).run();
    } finally {
      db.close();
    }
    expect(await message(expiring.access_token)).toEqual({
      status: 401,
      message: 'the access token has expired',
    });
    const revoked = await tokens();
    await fetch(`${f.issuer}/revoke`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: clientAuth() },
      body: formBody({ token: revoked.access_token }),
    });
    expect(await message(revoked.access_token)).toEqual({
      status: 401,
      message: 'the access token is revoked',
    });
  });

  it('deleted, loses every credential; the audit trail keeps its id', async () => {
    const browser = new Browser();
    await signIn(browser);
    const t = await tokens();
    await f.admin('DELETE', `/users/${member.id}`);
    const refused = await probe(browser, t);
    expect(refused.session).toBe(303);
    expect(refused.api.status).toBe(401);
    expect(refused.introspection).toEqual({ active: false });
    expect((await refresh(t.refresh_token)).status).toBe(400);
    const audit = await f.admin<{ resourceId: string; action: string; resourceType: string }[]>(
      'GET',
      '/audit?limit=5',
    );
    expect(audit).toContainEqual(
      expect.objectContaining({ action: 'DELETE', resourceType: 'USER', resourceId: member.id }),
    );
  });
});
