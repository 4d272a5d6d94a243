import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Browser, hiddenField, type OAuthFixture, startOAuthFixture } from '../helpers/oauth.js';

/**
 * RFC 8628 against a running service: the device authorization endpoint, the user-code page
 * (behind the one sign-in page), every error of §3.5 at the token endpoint, one-time use, and
 * the admin API accepting the resulting token as the user, with the user's vaults only.
 */
const MEMBER = { email: 'member@example.com', password: 'member password of some length' };
const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';

let f: OAuthFixture;
let mine: { id: string };
let theirs: { id: string };

interface DeviceStart {
  device_code: string;
  user_code: string;
  verification_uri: string;
  verification_uri_complete: string;
  expires_in: number;
  interval: number;
}

const post = (path: string, form: Record<string, string>) =>
  fetch(`${f.issuer}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(form).toString(),
  });

async function start(form: Record<string, string> = { client_id: 'keyhold-cli' }): Promise<DeviceStart> {
  const response = await post('/device_authorization', form);
  expect(response.status).toBe(200);
  return (await response.json()) as DeviceStart;
}

const poll = (deviceCode: string, clientId = 'keyhold-cli') =>
  post('/token', { grant_type: DEVICE_GRANT, device_code: deviceCode, client_id: clientId });

/** Opens the database file beside the service, to tamper with what it stores. */
function raw<T>(work: (db: Database.Database) => T): T {
  const db = new Database(join(f.dataDir, 'keyhold.db'));
  try {
    db.pragma('busy_timeout = 5000');
    return work(db);
  } finally {
    db.close();
  }
}

/** Lets the next poll through at once, as if the interval had passed. */
const forgetLastPoll = (code: DeviceStart) =>
  raw((db) => db.prepare('update oauth_device_codes set last_polled_at = null').run()) && code;

/** Signs a browser in through the sign-in page, returning to the device page as the page asks. */
async function signIn(browser: Browser, user: { email: string; password: string }, code?: string) {
  const device = await browser.fetch(`${f.issuer}/device${code ? `?user_code=${code}` : ''}`);
  expect(device.status).toBe(303);
  const loginUrl = new URL(device.headers.get('location') ?? '', f.url).toString();
  const loginPage = await (await browser.fetch(loginUrl)).text();
  const form: Record<string, string> = {
    csrf: hiddenField(loginPage, 'csrf'),
    next: hiddenField(loginPage, 'next'),
    ...user,
  };
  const signedIn = await browser.fetch(`${f.issuer}/login`, { form });
  expect(signedIn.status).toBe(303);
  const back = signedIn.headers.get('location') ?? '';
  expect(back).toBe(`/oauth/${f.accountId}/device${code ? `?user_code=${code}` : ''}`);
  return browser.fetch(new URL(back, f.url).toString());
}

/** Approves (or denies) a code as a signed-in browser, from the page showing the request. */
async function decide(browser: Browser, code: string, decision: 'approve' | 'deny') {
  const shown = await browser.fetch(`${f.issuer}/device?user_code=${code}`);
  const page = await shown.text();
  expect(shown.status).toBe(200);
  expect(page).toContain('Keyhold CLI');
  expect(page).toContain('Keyhold admin API');
  const done = await browser.fetch(`${f.issuer}/device`, {
    form: { csrf: hiddenField(page, 'csrf'), user_code: hiddenField(page, 'user_code'), decision },
  });
  expect(done.status).toBe(200);
  return done.text();
}

let member: Browser;
let memberId: string;

beforeAll(async () => {
  f = await startOAuthFixture();
  mine = await f.admin('POST', '/vaults', { name: 'Mine' });
  theirs = await f.admin('POST', '/vaults', { name: 'Theirs' });
  const user = await f.admin<{ id: string }>('POST', '/users', { ...MEMBER, role: 'member' });
  memberId = user.id;
  await f.admin('PUT', `/users/${user.id}/vaults/${mine.id}`, { permissions: ['read'] });
  member = new Browser();
  await signIn(member, MEMBER);
});

afterAll(() => f?.close());

describe('device authorization endpoint', () => {
  it('is announced in the metadata with the device grant', async () => {
    const response = await fetch(`${f.url}/.well-known/oauth-authorization-server/oauth/${f.accountId}`);
    const metadata = (await response.json()) as Record<string, unknown>;
    expect(metadata.device_authorization_endpoint).toBe(`${f.issuer}/device_authorization`);
    expect(metadata.grant_types_supported).toContain(DEVICE_GRANT);
  });

  it('answers a device code, a short user code and the verification URIs', async () => {
    const code = await start();
    expect(code.device_code).toMatch(/^khdc_[A-Za-z0-9_-]{43}$/);
    expect(code.user_code).toMatch(/^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$/);
    expect(code.verification_uri).toBe(`${f.issuer}/device`);
    expect(code.verification_uri_complete).toBe(`${f.issuer}/device?user_code=${code.user_code}`);
    expect(code.expires_in).toBe(600);
    expect(code.interval).toBe(5);
  });

  it('refuses an unknown client, a client without the grant, another scope or audience', async () => {
    const unknown = await post('/device_authorization', { client_id: 'kc-nobody' });
    expect(unknown.status).toBe(401);
    expect(((await unknown.json()) as { error: string }).error).toBe('invalid_client');
    const app = await f.admin<{ clientId: string }>('POST', '/clients', {
      name: 'Web app',
      redirectUris: ['https://app.example/cb'],
      scopes: ['vault:read'],
      public: true,
    });
    const web = await post('/device_authorization', { client_id: app.clientId });
    expect(web.status).toBe(400);
    expect(((await web.json()) as { error: string }).error).toBe('unauthorized_client');
    const scoped = await post('/device_authorization', { client_id: 'keyhold-cli', scope: 'vault:read' });
    expect(await scoped.json()).toMatchObject({ error: 'invalid_scope' });
    const aimed = await post('/device_authorization', {
      client_id: 'keyhold-cli',
      resource: 'urn:keyhold:vault-api',
    });
    expect(await aimed.json()).toMatchObject({ error: 'invalid_target' });
  });
});

describe('polling the token endpoint (RFC 8628 §3.5)', () => {
  it('is authorization_pending, then slow_down when polled within the interval', async () => {
    const code = await start();
    const first = await poll(code.device_code);
    expect(first.status).toBe(400);
    expect(await first.json()).toMatchObject({ error: 'authorization_pending' });
    const fast = await poll(code.device_code);
    expect(await fast.json()).toMatchObject({ error: 'slow_down' });
    const interval = raw(
      (db) =>
        db
          .prepare(
            'select poll_interval as i from oauth_device_codes where status = ? order by created_at desc',
          )
          .get('pending') as {
          i: number;
        },
    );
    expect(interval.i).toBe(10);
  });

  it('is access_denied once the user denies', async () => {
    const code = await start();
    expect(await decide(member, code.user_code, 'deny')).toContain('not signed in');
    forgetLastPoll(code);
    expect(await (await poll(code.device_code)).json()).toMatchObject({ error: 'access_denied' });
  });

  it('is expired_token once the stored expiry has passed, even after approval', async () => {
    const code = await start();
    await decide(member, code.user_code, 'approve');
    raw((db) => db.prepare("update oauth_device_codes set expires_at = '2000-01-01T00:00:00.000Z'").run());
    expect(await (await poll(code.device_code)).json()).toMatchObject({ error: 'expired_token' });
  });

  it('is invalid_grant for an unknown code, another client, a missing code', async () => {
    const code = await start();
    expect(await (await poll('khdc_nothing')).json()).toMatchObject({ error: 'invalid_grant' });
    const other = await f.admin<{ clientId: string }>('POST', '/clients', {
      name: 'Other',
      redirectUris: ['https://other.example/cb'],
      scopes: ['vault:read'],
      public: true,
    });
    const foreign = await poll(code.device_code, other.clientId);
    // That client may not use the device grant at all; the code is not even looked at.
    expect(await foreign.json()).toMatchObject({ error: 'unauthorized_client' });
    // Another account's CLI client (same client_id, its own row) cannot redeem this code.
    const account = await f.admin<{ id: string }>('POST', '/accounts', { name: 'Other account' });
    const elsewhere = await fetch(`${f.url}/oauth/${account.id}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: DEVICE_GRANT,
        device_code: code.device_code,
        client_id: 'keyhold-cli',
      }),
    });
    expect(await elsewhere.json()).toMatchObject({ error: 'invalid_grant' });
    const missing = await post('/token', { grant_type: DEVICE_GRANT, client_id: 'keyhold-cli' });
    expect(await missing.json()).toMatchObject({ error: 'invalid_request' });
  });

  it('gives tokens once: of parallel polls after approval exactly one wins, and the code is spent', async () => {
    const code = await start();
    await decide(member, code.user_code, 'approve');
    const answers = await Promise.all(Array.from({ length: 8 }, () => poll(code.device_code)));
    const bodies = (await Promise.all(answers.map((a) => a.json()))) as Record<string, unknown>[];
    const won = bodies.filter((b) => typeof b.access_token === 'string');
    expect(won).toHaveLength(1);
    expect(bodies.filter((b) => b.error === 'invalid_grant')).toHaveLength(7);
    expect(won[0]).toMatchObject({ token_type: 'Bearer', expires_in: 900, scope: 'keyhold:admin' });
    expect(won[0]?.refresh_token).toMatch(/^khrt_/);
    expect(await (await poll(code.device_code)).json()).toMatchObject({ error: 'invalid_grant' });
    // The user code cannot be entered again either.
    const again = await member.fetch(`${f.issuer}/device?user_code=${code.user_code}`);
    expect(again.status).toBe(400);
  });
});

describe('the user-code page', () => {
  it('refuses a wrong code without revealing anything, and throttles guessing', async () => {
    const guesser = new Browser();
    const first = await signIn(guesser, { email: f.ownerEmail, password: f.ownerPassword }, 'BBBB-BBBB');
    expect(first.status).toBe(400);
    expect(await first.text()).toContain('not valid');
    let status = 0;
    for (let i = 0; i < 12 && status !== 429; i++) {
      status = (await guesser.fetch(`${f.issuer}/device?user_code=BBBB-BBB${'CDFGHJKLMNPQ'[i]}`)).status;
    }
    expect(status).toBe(429);
  });

  it('accepts the code in any case and without its dash', async () => {
    const code = await start();
    const typed = code.user_code.replace('-', '').toLowerCase();
    const shown = await member.fetch(`${f.issuer}/device?user_code=${typed}`);
    expect(shown.status).toBe(200);
    expect(await shown.text()).toContain(code.user_code);
  });
});

describe('the admin API with a CLI token', () => {
  async function tokens() {
    const code = await start();
    await decide(member, code.user_code, 'approve');
    const response = await poll(code.device_code);
    return (await response.json()) as { access_token: string; refresh_token: string };
  }
  const admin = (token: string, path: string) =>
    fetch(`${f.url}/api/admin${path}`, { headers: { authorization: `Bearer ${token}` } });

  it('acts as the user: a member sees only their own vaults, and whoami says who', async () => {
    const { access_token } = await tokens();
    const vaults = (await (await admin(access_token, '/vaults')).json()) as { id: string }[];
    expect(vaults.map((v) => v.id)).toEqual([mine.id]);
    expect((await admin(access_token, `/vaults/${theirs.id}`)).status).toBe(403);
    const who = await (await admin(access_token, '/whoami')).json();
    expect(who).toMatchObject({
      kind: 'user',
      role: 'member',
      accountId: f.accountId,
      user: { email: MEMBER.email },
    });
  });

  it('refreshes with rotation; reusing a rotated refresh token revokes the sign-in', async () => {
    const first = await tokens();
    const refresh = (token: string) =>
      post('/token', { grant_type: 'refresh_token', refresh_token: token, client_id: 'keyhold-cli' });
    const second = (await (await refresh(first.refresh_token)).json()) as { access_token: string };
    expect((await admin(second.access_token, '/vaults')).status).toBe(200);
    expect(await (await refresh(first.refresh_token)).json()).toMatchObject({ error: 'invalid_grant' });
    const after = await admin(second.access_token, '/vaults');
    expect(after.status).toBe(401);
    expect(((await after.json()) as { message: string }).message).toMatch(/revoked/);
  });

  it('says why a token is refused: revoked (logout), expired', async () => {
    const revoked = await tokens();
    const out = await post('/revoke', { token: revoked.refresh_token, client_id: 'keyhold-cli' });
    expect(out.status).toBe(200);
    const afterLogout = await admin(revoked.access_token, '/vaults');
    expect(afterLogout.status).toBe(401);
    expect(((await afterLogout.json()) as { message: string }).message).toMatch(/sign-in was revoked/);
    const expiring = await tokens();
    raw((db) =>
      db
        .prepare(
          "update oauth_tokens set expires_at = '2000-01-01T00:00:00.000Z' where kind = 'access' and revoked_at is null",
        )
        .run(),
    );
    const expired = await admin(expiring.access_token, '/vaults');
    expect(expired.status).toBe(401);
    expect(((await expired.json()) as { message: string }).message).toMatch(/expired/);
  });

  // Last: disabling ends the member's browser session.
  it('says the user is disabled: access token, refresh token and an approved code; enabling revives none', async () => {
    const signedIn = await tokens();
    const approved = await start();
    await decide(member, approved.user_code, 'approve');
    const refresh = () =>
      post('/token', {
        grant_type: 'refresh_token',
        refresh_token: signedIn.refresh_token,
        client_id: 'keyhold-cli',
      });
    const probe = async () => {
      const api = await admin(signedIn.access_token, '/vaults');
      const refreshed = await refresh();
      const polled = await poll(approved.device_code);
      return {
        api: { status: api.status, message: ((await api.json()) as { message: string }).message },
        refresh: { status: refreshed.status, body: await refreshed.json() },
        poll: { status: polled.status, body: await polled.json() },
      };
    };

    await f.admin('POST', `/users/${memberId}/disable`);
    expect(await probe()).toEqual({
      api: { status: 401, message: 'the CLI sign-in is refused: the user is disabled' },
      refresh: {
        status: 400,
        body: {
          error: 'invalid_grant',
          error_description: 'the refresh token is refused: the user is disabled',
        },
      },
      poll: {
        status: 400,
        body: {
          error: 'invalid_grant',
          error_description: 'the device code is refused: the user is disabled',
        },
      },
    });

    await f.admin('POST', `/users/${memberId}/enable`);
    const after = await probe();
    expect(after.api.status).toBe(401);
    expect(after.api.message).toMatch(/^the access token is unknown/);
    expect(after.refresh).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
    expect(after.poll).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
    expect(JSON.stringify(after)).not.toMatch(/disabled/);
    expect((await member.fetch(`${f.issuer}/grants`)).status).toBe(303);
  });

  it('keeps the CLI client built in: it cannot be deleted, its resource cannot be registered', async () => {
    const deleted = await fetch(`${f.url}/api/admin/clients/kc-cli-${f.accountId}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${f.adminToken}` },
    });
    expect(deleted.status).toBeGreaterThanOrEqual(400);
    expect(deleted.status).toBeLessThan(500);
    await expect(
      f.admin('POST', '/resource-servers', {
        identifier: 'urn:keyhold:admin-api',
        name: 'Shadow',
        scopes: [{ name: 'shadow:read', description: 'x' }],
      }),
    ).rejects.toThrow(/409/);
  });
});
