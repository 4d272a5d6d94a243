import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { client, startTestApp, type TestApp } from '../helpers/app.js';
import { MEMBER_PASSWORD, Members } from '../helpers/members.js';
import { hiddenFields, PageBrowser } from '../helpers/page-browser.js';
import { nextTotpCode } from '../helpers/totp.js';

/**
 * What a password reset, a password change and a disable leave behind, over the real pages and
 * admin API (app.inject, a real SQLite file): a sign-in waiting for its second step, opened with
 * the old password (or before the disable), must not turn into a session afterwards, and a reset
 * link must not outlive a disable.
 */
let t: TestApp;
let base: string;
let api: ReturnType<typeof client>;
let members: Members;
const PASSWORD = MEMBER_PASSWORD;
const NEW_PASSWORD = 'a brand new password, long';

beforeAll(async () => {
  t = await startTestApp();
  base = `/oauth/${t.accountId}`;
  api = client(t.app, t.token);
  members = new Members(t, 'person');
});
afterAll(async () => {
  await t?.close();
});

/**
 * A browser whose sign-in waits at the second step (the password was right), with the code form
 * open: `finish(code)` posts it.
 */
async function pendingSecondStep(email: string, address: string) {
  const browser = new PageBrowser(t.app, address);
  const first = await members.signIn(browser, email);
  expect(first.headers.location).toBe(`${base}/login/mfa`);
  expect(browser.cookies.get('keyhold_mfa')).toMatch(/^khmfa_/);
  const form = hiddenFields((await browser.get(`${base}/login/mfa`)).body);
  return {
    browser,
    finish: (code: string) => browser.post(`${base}/login/mfa`, { ...form, code }),
  };
}

async function resetLink(userId: string): Promise<string> {
  const res = await api.post(`/users/${userId}/password-reset`);
  expect(res.statusCode).toBe(201);
  const url = new URL(res.json().url as string);
  return `${url.pathname}${url.search}`;
}

describe('a pending second step', () => {
  it('does not survive a password reset: the code no longer opens a session', async () => {
    const u = await members.enrolled();
    // Someone holding the old password (and, say, a phished code) is at the second step.
    const thief = await pendingSecondStep(u.email, '198.51.100.20');
    const set = await new PageBrowser(t.app).submit(await resetLink(u.id), {
      password: NEW_PASSWORD,
      confirm: NEW_PASSWORD,
    });
    expect(set.statusCode).toBe(200);
    const finished = await thief.finish(nextTotpCode(u.secret));
    expect(finished.statusCode).toBe(401);
    expect(finished.body).toContain('sign in again');
    expect(thief.browser.cookies.has('keyhold_session')).toBe(false);
  });

  it('does not survive a password change made from another session', async () => {
    const u = await members.enrolled();
    const thief = await pendingSecondStep(u.email, '198.51.100.21');
    // The user signs in elsewhere (with a recovery code, leaving the TOTP window unused) and
    // changes the password.
    await members.signIn(u.browser, u.email);
    expect((await u.browser.submit(`${base}/login/mfa`, { code: u.codes[0] as string })).statusCode).toBe(
      303,
    );
    const changed = await u.browser.submit(`${base}/password`, {
      current: PASSWORD,
      password: NEW_PASSWORD,
      confirm: NEW_PASSWORD,
    });
    expect(changed.statusCode).toBe(200);
    const finished = await thief.finish(nextTotpCode(u.secret));
    expect(finished.statusCode).toBe(401);
    expect(finished.body).toContain('sign in again');
    expect(thief.browser.cookies.has('keyhold_session')).toBe(false);
  });

  it('does not survive a disable: enabling the user again brings it back no more than a session', async () => {
    const u = await members.enrolled();
    const pending = await pendingSecondStep(u.email, '198.51.100.22');
    expect((await api.post(`/users/${u.id}/disable`)).statusCode).toBe(200);
    expect((await api.post(`/users/${u.id}/enable`)).statusCode).toBe(200);
    const finished = await pending.finish(nextTotpCode(u.secret));
    expect(finished.statusCode).toBe(401);
    expect(finished.body).toContain('sign in again');
    expect(pending.browser.cookies.has('keyhold_session')).toBe(false);
  });
});

describe('a reset link', () => {
  it('issued before a disable, is dead after it, and stays dead once the user is enabled', async () => {
    const u = await members.create();
    const link = await resetLink(u.id);
    expect((await api.post(`/users/${u.id}/disable`)).statusCode).toBe(200);
    const opened = await new PageBrowser(t.app).get(link);
    expect(opened.statusCode).toBe(400);
    expect(opened.body).toContain('This reset link is not valid.');

    expect((await api.post(`/users/${u.id}/enable`)).statusCode).toBe(200);
    expect((await new PageBrowser(t.app).get(link)).statusCode).toBe(400);
    expect(
      (await members.signIn(new PageBrowser(t.app, '192.0.2.200'), u.email, { password: NEW_PASSWORD }))
        .statusCode,
    ).toBe(401);
    expect((await members.signIn(new PageBrowser(t.app, '192.0.2.201'), u.email)).statusCode).toBe(303);
  });

  it('a form opened before the disable cannot set the password after it', async () => {
    const u = await members.create();
    const link = await resetLink(u.id);
    const browser = new PageBrowser(t.app);
    const page = await browser.get(link);
    expect(page.statusCode).toBe(200);
    expect((await api.post(`/users/${u.id}/disable`)).statusCode).toBe(200);
    const posted = await browser.post(`${base}/reset`, {
      ...hiddenFields(page.body),
      password: NEW_PASSWORD,
      confirm: NEW_PASSWORD,
    });
    expect(posted.statusCode).toBe(400);
    expect((await api.post(`/users/${u.id}/enable`)).statusCode).toBe(200);
    expect(
      (await members.signIn(new PageBrowser(t.app, '192.0.2.202'), u.email, { password: NEW_PASSWORD }))
        .statusCode,
    ).toBe(401);
  });
});

describe('a sign-in racing a disable', () => {
  it('leaves no session for the enable to revive, whichever commits first', async () => {
    for (const delay of [0, 5, 10, 20]) {
      const u = await members.create();
      const browser = new PageBrowser(t.app, '203.0.113.7');
      const form = hiddenFields((await browser.get(`${base}/login`)).body);
      // The disable lands while the password is being checked (argon2 takes a while).
      const [login, disabled] = await Promise.all([
        browser.post(`${base}/login`, { ...form, email: u.email, password: PASSWORD }),
        new Promise((resolve) => setTimeout(resolve, delay)).then(() => api.post(`/users/${u.id}/disable`)),
      ]);
      expect(disabled.statusCode).toBe(200);
      expect([303, 403], `delay ${delay}`).toContain(login.statusCode);
      expect((await api.post(`/users/${u.id}/enable`)).statusCode).toBe(200);
      expect((await browser.get(`${base}/grants`)).statusCode, `delay ${delay}`).toBe(303);
    }
  });

  it('racing a delete, answers 401 or 403, never a 500', async () => {
    for (const delay of [0, 5, 10]) {
      const u = await members.create();
      const browser = new PageBrowser(t.app, '203.0.113.8');
      const form = hiddenFields((await browser.get(`${base}/login`)).body);
      const [login, deleted] = await Promise.all([
        browser.post(`${base}/login`, { ...form, email: u.email, password: PASSWORD }),
        new Promise((resolve) => setTimeout(resolve, delay)).then(() => api.delete(`/users/${u.id}`)),
      ]);
      expect(deleted.statusCode).toBe(204);
      expect([303, 401, 403], `delay ${delay}`).toContain(login.statusCode);
      expect((await browser.get(`${base}/grants`)).statusCode).toBe(303);
    }
  });
});
