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
 * Passwords over real HTTP: an administrator's one-time reset link (single use, expiring, only the
 * newest works, CSRF-protected, ends the user's sessions, audited) and the signed-in user's own
 * password change page (current password checked and throttled like sign-in, other sessions end).
 */
let f: OAuthFixture;
let user: { id: string; email: string };
const FIRST = 'the first password of this user';

beforeAll(async () => {
  f = await startOAuthFixture();
  user = await f.admin('POST', '/users', { email: 'pat@example.com', password: FIRST, role: 'member' });
}, 60_000);

afterAll(async () => {
  await f?.close();
});

async function signIn(browser: Browser, password: string, email = user.email) {
  const page = await (await browser.fetch(`${f.issuer}/login`)).text();
  return browser.fetch(`${f.issuer}/login`, { form: { csrf: hiddenField(page, 'csrf'), email, password } });
}
const signedIn = async (browser: Browser) => (await browser.fetch(`${f.issuer}/grants`)).status === 200;

const resetLink = () =>
  f.admin<{ url: string; expiresAt: string }>('POST', `/users/${user.id}/password-reset`);

/** Opens a reset link and submits the form on it. */
async function useLink(url: string, password: string, confirm = password) {
  const browser = new Browser();
  const opened = await browser.fetch(url);
  const page = await opened.text();
  if (opened.status !== 200) return { status: opened.status, page };
  const posted = await browser.fetch(`${f.issuer}/reset`, {
    form: { csrf: hiddenField(page, 'csrf'), token: hiddenField(page, 'token'), password, confirm },
  });
  return { status: posted.status, page: await posted.text() };
}

function sql(statement: string, ...params: unknown[]) {
  const db = new Database(join(f.dataDir, 'keyhold.db'));
  try {
    db.prepare(statement).run(...params);
  } finally {
    db.close();
  }
}

describe('password reset link', () => {
  it('sets a new password once, ends the user’s sessions, and is audited', async () => {
    const before = new Browser();
    expect((await signIn(before, FIRST)).status).toBe(303);
    const link = await resetLink();
    const page = await (await new Browser().fetch(link.url)).text();
    expect(page).toContain('Choose a new password for pat@example.com');

    const mismatch = await useLink(link.url, 'a brand new password', 'a different new password');
    expect(mismatch.status).toBe(400);
    expect(mismatch.page).toContain('The two passwords differ.');
    const short = await useLink(link.url, 'short');
    expect(short.status).toBe(400);
    expect(short.page).toContain('The password must be 12 to 1024 characters.');

    const used = await useLink(link.url, 'a brand new password');
    expect(used.status).toBe(200);
    expect(used.page).toContain('Your new password is set.');
    expect(await signedIn(before)).toBe(false);
    expect((await signIn(new Browser(), FIRST)).status).toBe(401);
    expect((await signIn(new Browser(), 'a brand new password')).status).toBe(303);

    const again = await useLink(link.url, 'yet another password');
    expect(again.status).toBe(400);
    expect(again.page).toContain('This reset link was already used.');
    expect((await signIn(new Browser(), 'yet another password')).status).toBe(401);

    const audit = await f.admin<
      { action: string; resourceType: string; resourceId: string; actorId: string }[]
    >('GET', '/audit?limit=20');
    const resets = audit.filter((e) => e.resourceType === 'PASSWORD_RESET' && e.resourceId === user.id);
    expect(resets.map((e) => e.action).sort()).toEqual(['CREATE', 'UPDATE']);
    expect(resets.find((e) => e.action === 'UPDATE')?.actorId).toBe(user.id);
    expect(JSON.stringify(audit)).not.toContain(new URL(link.url).searchParams.get('token'));
  });

  it('answers clearly once expired (the stored expiry moved into the past)', async () => {
    const link = await resetLink();
    sql('UPDATE password_resets SET expires_at = ? WHERE user_id = ?', '2000-01-01T00:00:00.000Z', user.id);
    const opened = await new Browser().fetch(link.url);
    expect(opened.status).toBe(400);
    expect(await opened.text()).toContain('This reset link has expired.');
  });

  it('expires between opening the form and sending it: refused, the password unchanged', async () => {
    const link = await resetLink();
    const browser = new Browser();
    const page = await (await browser.fetch(link.url)).text();
    sql('UPDATE password_resets SET expires_at = ? WHERE user_id = ?', '2000-01-01T00:00:00.000Z', user.id);
    const posted = await browser.fetch(`${f.issuer}/reset`, {
      form: {
        csrf: hiddenField(page, 'csrf'),
        token: hiddenField(page, 'token'),
        password: 'too late password',
        confirm: 'too late password',
      },
    });
    expect(posted.status).toBe(400);
    expect(await posted.text()).toContain('This reset link has expired.');
    expect((await signIn(new Browser(), 'too late password')).status).toBe(401);
  });

  it('is replaced by a newer link; unknown and malformed links are refused alike', async () => {
    const older = await resetLink();
    const newer = await resetLink();
    for (const url of [
      older.url,
      `${f.issuer}/reset?token=khpr_${'A'.repeat(43)}`,
      `${f.issuer}/reset?token=nonsense`,
      `${f.issuer}/reset`,
    ]) {
      const response = await new Browser().fetch(url);
      expect(response.status, url).toBe(400);
      expect(await response.text()).toContain(
        'This reset link is not valid. A newer link replaces older ones',
      );
    }
    expect((await useLink(newer.url, 'the newest password here')).status).toBe(200);
  });

  it('refuses a form without the CSRF cookie it was issued with', async () => {
    const link = await resetLink();
    const page = await (await new Browser().fetch(link.url)).text();
    const forged = await new Browser().fetch(`${f.issuer}/reset`, {
      form: {
        csrf: hiddenField(page, 'csrf'),
        token: hiddenField(page, 'token'),
        password: 'forged password here',
        confirm: 'forged password here',
      },
    });
    expect(forged.status).toBe(400);
    expect(await forged.text()).toContain('the form has expired or did not come from this site');
    // The link is still good for its holder.
    expect((await useLink(link.url, 'the real new password')).status).toBe(200);
  });

  it('of two racing uses of one link, one wins', async () => {
    const link = await resetLink();
    const forms = await Promise.all(
      [0, 1].map(async () => {
        const browser = new Browser();
        return { browser, page: await (await browser.fetch(link.url)).text() };
      }),
    );
    const answers = await Promise.all(
      forms.map(({ browser, page }, i) =>
        browser.fetch(`${f.issuer}/reset`, {
          form: {
            csrf: hiddenField(page, 'csrf'),
            token: hiddenField(page, 'token'),
            password: `racing password ${i}`,
            confirm: `racing password ${i}`,
          },
        }),
      ),
    );
    expect(answers.map((a) => a.status).sort()).toEqual([200, 400]);
    const winner = answers.findIndex((a) => a.status === 200);
    expect((await signIn(new Browser(), `racing password ${winner}`)).status).toBe(303);
    expect((await signIn(new Browser(), `racing password ${1 - winner}`)).status).toBe(401);
  });
});

describe('changing one’s own password', () => {
  const CURRENT = 'racing password';

  async function changeForm(browser: Browser) {
    const response = await browser.fetch(`${f.issuer}/password`);
    expect(response.status).toBe(200);
    return hiddenField(await response.text(), 'csrf');
  }
  const change = (browser: Browser, csrf: string, current: string, password: string, confirm = password) =>
    browser.fetch(`${f.issuer}/password`, { form: { csrf, current, password, confirm } });

  it('needs a session, the current password and the new one twice; ends the other sessions', async () => {
    // Start from a known password.
    const link = await resetLink();
    expect((await useLink(link.url, `${CURRENT} start`)).status).toBe(200);
    const current = `${CURRENT} start`;

    const anonymous = await new Browser().fetch(`${f.issuer}/password`);
    expect(anonymous.status).toBe(303);
    expect(anonymous.headers.get('location')).toBe(`/oauth/${f.accountId}/login`);

    const here = new Browser();
    const elsewhere = new Browser();
    await signIn(here, current);
    await signIn(elsewhere, current);
    const csrf = await changeForm(here);

    const forged = await change(here, 'not-the-token', current, 'a changed password');
    expect(forged.status).toBe(400);
    const differ = await change(here, csrf, current, 'a changed password', 'another password');
    expect(differ.status).toBe(400);
    expect(await differ.text()).toContain('The two new passwords differ.');
    const wrong = await change(here, csrf, 'not my password', 'a changed password');
    expect(wrong.status).toBe(401);
    expect(await wrong.text()).toContain('The current password is wrong.');

    const done = await change(here, csrf, current, 'a changed password');
    expect(done.status).toBe(200);
    expect(await done.text()).toContain('Your password is changed. Your other sessions are signed out.');
    expect(await signedIn(here)).toBe(true);
    expect(await signedIn(elsewhere)).toBe(false);
    expect((await signIn(new Browser(), current)).status).toBe(401);
    expect((await signIn(new Browser(), 'a changed password')).status).toBe(303);
  });

  it('is throttled like sign-in: wrong current passwords lock the form and the sign-in page alike', async () => {
    const browser = new Browser();
    expect((await signIn(browser, 'a changed password')).status).toBe(303);
    const csrf = await changeForm(browser);
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++)
      statuses.push((await change(browser, csrf, `guess ${i}`, 'whatever password')).status);
    expect(statuses.slice(0, 5)).toEqual([401, 401, 401, 401, 401]);
    expect(statuses[5]).toBe(429);
    const locked = await change(browser, csrf, 'a changed password', 'the password i want');
    expect(locked.status).toBe(429);
    expect(Number(locked.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await locked.text()).toContain('Too many failed sign-ins');
    // The same keys as the sign-in page: it is locked for this email and address too.
    expect((await signIn(new Browser(), 'a changed password')).status).toBe(429);
  });
});

describe('a new password ends what the old one opened', () => {
  const REDIRECT = 'http://127.0.0.1:7777/callback';
  const START = 'the password before the change';

  /** A member with vault access, a client, and live OAuth tokens the member consented to. */
  async function withTokens(email: string) {
    const vault = await f.admin<{ id: string }>('POST', '/vaults', { name: `Vault of ${email}` });
    const member = await f.admin<{ id: string }>('POST', '/users', {
      email,
      password: START,
      role: 'member',
    });
    await f.admin('PUT', `/users/${member.id}/vaults/${vault.id}`, { permissions: ['read'] });
    const client = await f.admin<{ clientId: string; clientSecret: string }>('POST', '/clients', {
      name: `App of ${email}`,
      redirectUris: [REDIRECT],
      scopes: ['vault:read'],
    });
    const tokens = await userTokens(
      f.issuer,
      client,
      { email, password: START },
      { scope: 'vault:read', redirectUri: REDIRECT },
    );
    const api = async () =>
      (await fetch(`${f.url}/api/v1/vaults`, { headers: { authorization: `Bearer ${tokens.access_token}` } }))
        .status;
    const refresh = async () =>
      (
        await fetch(`${f.issuer}/token`, {
          method: 'POST',
          headers: {
            'content-type': 'application/x-www-form-urlencoded',
            authorization: `Basic ${Buffer.from(`${client.clientId}:${client.clientSecret}`).toString('base64')}`,
          },
          body: formBody({ grant_type: 'refresh_token', refresh_token: tokens.refresh_token ?? '' }),
        })
      ).status;
    expect(await api()).toBe(200);
    return { member, api, refresh };
  }

  it('a reset through a link revokes the user’s OAuth grants: access and refresh tokens stop', async () => {
    const { member, api, refresh } = await withTokens('tokens-reset@example.com');
    const link = await f.admin<{ url: string }>('POST', `/users/${member.id}/password-reset`);
    expect((await useLink(link.url, 'a password after a reset')).status).toBe(200);
    expect(await api()).toBe(401);
    expect(await refresh()).toBe(400);
  });

  it('a change of one’s own password revokes them too; the session used stays', async () => {
    const email = 'tokens-change@example.com';
    const { api, refresh } = await withTokens(email);
    const browser = new Browser();
    expect((await signIn(browser, START, email)).status).toBe(303);
    const page = await (await browser.fetch(`${f.issuer}/password`)).text();
    const done = await browser.fetch(`${f.issuer}/password`, {
      form: {
        csrf: hiddenField(page, 'csrf'),
        current: START,
        password: 'a password after a change',
        confirm: 'a password after a change',
      },
    });
    expect(done.status).toBe(200);
    expect(await signedIn(browser)).toBe(true);
    expect(await api()).toBe(401);
    expect(await refresh()).toBe(400);
  });
});

describe('the CLI sign-in (keyhold login) of a user whose password is reset or changed', () => {
  const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';
  const form = (path: string, body: Record<string, string>) =>
    fetch(`${f.issuer}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(body).toString(),
    });

  /** `keyhold login` approved on the device page by a signed-in browser: its access and refresh tokens. */
  async function cliSignIn(browser: Browser) {
    const started = (await (await form('/device_authorization', { client_id: 'keyhold-cli' })).json()) as {
      device_code: string;
      user_code: string;
    };
    const page = await (await browser.fetch(`${f.issuer}/device?user_code=${started.user_code}`)).text();
    const approved = await browser.fetch(`${f.issuer}/device`, {
      form: {
        csrf: hiddenField(page, 'csrf'),
        user_code: hiddenField(page, 'user_code'),
        decision: 'approve',
      },
    });
    expect(approved.status).toBe(200);
    const tokens = await form('/token', {
      grant_type: DEVICE_GRANT,
      device_code: started.device_code,
      client_id: 'keyhold-cli',
    });
    expect(tokens.status).toBe(200);
    return (await tokens.json()) as { access_token: string; refresh_token: string };
  }
  const whoami = (accessToken: string) =>
    fetch(`${f.url}/api/admin/whoami`, { headers: { authorization: `Bearer ${accessToken}` } });
  const refresh = (refreshToken: string) =>
    form('/token', { grant_type: 'refresh_token', refresh_token: refreshToken, client_id: 'keyhold-cli' });

  it('ends with an administrator’s reset: whoever signed the CLI in with the old password is out', async () => {
    const password = 'a password someone stole';
    const victim = await f.admin<{ id: string; email: string }>('POST', '/users', {
      email: 'stolen@example.com',
      password,
      role: 'member',
    });
    const thief = new Browser();
    expect((await signIn(thief, password, victim.email)).status).toBe(303);
    const cli = await cliSignIn(thief);
    expect((await whoami(cli.access_token)).status).toBe(200);

    const link = await f.admin<{ url: string }>('POST', `/users/${victim.id}/password-reset`);
    expect((await useLink(link.url, 'the owner’s new password')).status).toBe(200);

    expect((await whoami(cli.access_token)).status).toBe(401);
    expect((await refresh(cli.refresh_token)).status).toBe(400);
  });

  it('ends with a change of one’s own password, like the other sessions', async () => {
    const password = 'a password about to change';
    const me = await f.admin<{ id: string; email: string }>('POST', '/users', {
      email: 'changer@example.com',
      password,
      role: 'member',
    });
    const elsewhere = new Browser();
    expect((await signIn(elsewhere, password, me.email)).status).toBe(303);
    const cli = await cliSignIn(elsewhere);
    const here = new Browser();
    expect((await signIn(here, password, me.email)).status).toBe(303);
    const csrf = hiddenField(await (await here.fetch(`${f.issuer}/password`)).text(), 'csrf');
    const done = await here.fetch(`${f.issuer}/password`, {
      form: { csrf, current: password, password: 'the changed password', confirm: 'the changed password' },
    });
    expect(done.status).toBe(200);
    expect((await whoami(cli.access_token)).status).toBe(401);
    expect((await refresh(cli.refresh_token)).status).toBe(400);
  });
});
