import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditEvent } from '../../src/storage/ports.js';
import { Browser, formBody, hiddenField, type OAuthFixture, startOAuthFixture } from '../helpers/oauth.js';

/**
 * The sign-in page of the authorization server (the IdP side), black-box over real HTTP: what a
 * wrong password shows, brute-force throttling, the session cookie, logout, and that the audit
 * trail and the logs record sign-ins without ever holding a password.
 */
let f: OAuthFixture;
const logs: string[] = [];
/** Every password these tests type, right or wrong: none may be logged or audited. */
const typed = new Set<string>();

beforeAll(async () => {
  f = await startOAuthFixture({}, { logSink: (line) => logs.push(line) });
  typed.add(f.ownerPassword);
}, 60_000);

afterAll(async () => {
  await f?.close();
});

let users = 0;
/** A fresh member, so that each test's failures count against its own email only. */
async function newUser(): Promise<{ id: string; email: string; password: string }> {
  const email = `user${++users}@example.com`;
  const password = `Right-Pass-${users}-k7Qw9zX2`;
  typed.add(password);
  const created = await f.admin<{ id: string }>('POST', '/users', { email, password });
  return { id: created.id, email, password };
}

const loginUrl = () => `${f.issuer}/login`;

/** A browser on the login page, ready to post its form. */
async function atLoginPage(browser = new Browser()) {
  const page = await browser.fetch(loginUrl());
  expect(page.status).toBe(200);
  let csrf = hiddenField(await page.text(), 'csrf');
  return {
    browser,
    /** Posts the form; the next post uses the CSRF token of the page this one returned. */
    async signIn(email: string, password: string) {
      typed.add(password);
      const response = await browser.fetch(loginUrl(), { form: { csrf, email, password } });
      const body = await response.text();
      if (response.headers.get('content-type')?.includes('text/html')) csrf = hiddenField(body, 'csrf');
      return { status: response.status, headers: response.headers, body };
    },
  };
}

/** The alert a login page shows, or undefined. */
const alertOf = (page: string) => /<p class="error" role="alert">([^<]*)<\/p>/.exec(page)?.[1];

describe('a failed sign-in', () => {
  it('shows the same generic 401 page for a wrong password and for an unknown email', async () => {
    const user = await newUser();
    const form = await atLoginPage();
    const wrong = await form.signIn(user.email, 'Wrong-Pass-Aa11');
    const unknown = await form.signIn('nobody-here@example.com', 'Wrong-Pass-Bb22');
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    expect(alertOf(wrong.body)).toBe('The email or password is wrong.');
    expect(alertOf(unknown.body)).toBe(alertOf(wrong.body));
    // Apart from the echoed email and the fresh CSRF token, the two pages are the same page.
    const normalize = (page: string, email: string) =>
      page.replace(/name="csrf" value="[^"]*"/, 'name="csrf"').replace(email, 'EMAIL');
    expect(normalize(wrong.body, user.email)).toBe(normalize(unknown.body, 'nobody-here@example.com'));
    expect(wrong.headers.getSetCookie().some((c) => c.startsWith('keyhold_session='))).toBe(false);
    expect(wrong.body).not.toContain('Wrong-Pass-Aa11');
  });

  it('throttles after five wrong passwords: the sixth attempt is 429 with Retry-After, right password or not', async () => {
    const user = await newUser();
    const form = await atLoginPage();
    for (let n = 1; n <= 5; n++) {
      expect((await form.signIn(user.email, `Wrong-Pass-${n}-Cc33`)).status, `attempt ${n}`).toBe(401);
    }
    const sixth = await form.signIn(user.email, user.password);
    expect(sixth.status).toBe(429);
    const retryAfter = Number(sixth.headers.get('retry-after'));
    expect(Number.isInteger(retryAfter) && retryAfter >= 1).toBe(true);
    expect(alertOf(sixth.body)).toContain(`try again in ${retryAfter} s`);
    expect(sixth.headers.getSetCookie().some((c) => c.startsWith('keyhold_session='))).toBe(false);
    // Other emails from the same address are not throttled: the owner can still sign in.
    const owner = await atLoginPage();
    expect((await owner.signIn(f.ownerEmail, f.ownerPassword)).status).toBe(303);
  });
});

describe('a session', () => {
  it('is an HttpOnly, SameSite=Lax cookie scoped to the account’s pages', async () => {
    const user = await newUser();
    const form = await atLoginPage();
    const signedIn = await form.signIn(user.email, user.password);
    expect(signedIn.status).toBe(303);
    expect(signedIn.headers.get('location')).toBe(`/oauth/${f.accountId}/grants`);
    const cookie = signedIn.headers.getSetCookie().find((c) => c.startsWith('keyhold_session='));
    expect(cookie).toBeDefined();
    const attributes = (cookie ?? '')
      .split(';')
      .slice(1)
      .map((a) => a.trim().toLowerCase());
    expect(attributes).toContain('httponly');
    expect(attributes).toContain('samesite=lax');
    expect(attributes).toContain(`path=/oauth/${f.accountId}`.toLowerCase());
    expect(attributes.some((a) => a.startsWith('max-age='))).toBe(true);
    // The public URL is plain http here, so the cookie cannot be Secure.
    expect(attributes).not.toContain('secure');
  });

  it('ends at logout (with the CSRF token): the grants page sends the browser to sign in again', async () => {
    const user = await newUser();
    const form = await atLoginPage();
    const signedIn = await form.signIn(user.email, user.password);
    const session = /keyhold_session=([^;]+)/.exec(signedIn.headers.getSetCookie().join('\n'))?.[1];
    expect(session).toBeDefined();
    const grantsUrl = `${f.issuer}/grants`;
    const grants = await form.browser.fetch(grantsUrl);
    expect(grants.status).toBe(200);
    const csrf = hiddenField(await grants.text(), 'csrf');

    // Without the session's CSRF token, logout is refused and the session lives on.
    const forged = await form.browser.fetch(`${f.issuer}/logout`, { form: { csrf: 'forged' } });
    expect(forged.status).toBe(400);
    expect((await form.browser.fetch(grantsUrl)).status).toBe(200);

    const out = await form.browser.fetch(`${f.issuer}/logout`, { form: { csrf } });
    expect(out.status).toBe(303);
    expect(out.headers.get('location')).toBe(`/oauth/${f.accountId}/login`);
    const after = await form.browser.fetch(grantsUrl);
    expect(after.status).toBe(303);
    expect(after.headers.get('location')).toBe(`/oauth/${f.accountId}/login`);
    // The session is gone on the server too: the old cookie, replayed, no longer signs anyone in.
    const replayed = await fetch(grantsUrl, {
      redirect: 'manual',
      headers: { cookie: `keyhold_session=${session}` },
    });
    expect(replayed.status).toBe(303);
    expect(replayed.headers.get('location')).toBe(`/oauth/${f.accountId}/login`);
  });
});

describe('the record of sign-ins', () => {
  it('audits a failed and a successful sign-in, without the password', async () => {
    const user = await newUser();
    const form = await atLoginPage();
    expect((await form.signIn(user.email, 'Wrong-Pass-Dd44')).status).toBe(401);
    expect((await form.signIn(user.email, user.password)).status).toBe(303);
    const events = await f.admin<AuditEvent[]>('GET', '/audit?limit=1000');
    const logins = events
      .filter((e) => e.actorId === user.id && e.resourceType === 'LOGIN_SESSION')
      .sort((a, b) => a.seq - b.seq);
    expect(logins).toEqual([
      expect.objectContaining({ actorType: 'user', action: 'CREATE', result: 'DENY', resourceId: null }),
      expect.objectContaining({ actorType: 'user', action: 'CREATE', result: 'SUCCESS' }),
    ]);
    expect(logins[1]?.resourceId).toMatch(/^[a-z0-9]{26}$/);
    expect(logins.every((e) => e.accountId === f.accountId && e.ip !== null)).toBe(true);
    const trail = JSON.stringify(events);
    for (const password of typed) expect(trail).not.toContain(password);
  });

  it('records a failed sign-in for an unknown email as one for the user `unknown`: the same work as a wrong password', async () => {
    const form = await atLoginPage();
    const before = await f.admin<AuditEvent[]>('GET', '/audit?limit=1');
    expect((await form.signIn('nobody-recorded@example.com', 'Wrong-Pass-Ii99')).status).toBe(401);
    const events = await f.admin<AuditEvent[]>('GET', '/audit?limit=1000');
    const added = events.filter((e) => e.seq > (before[0]?.seq ?? 0) && e.resourceType === 'LOGIN_SESSION');
    expect(added).toEqual([
      expect.objectContaining({ actorType: 'user', actorId: 'unknown', action: 'CREATE', result: 'DENY' }),
    ]);
    expect(JSON.stringify(added)).not.toContain('nobody-recorded');
  });

  // Last: it reads the logs every other test in this file produced.
  it('never logs a password, right or wrong', async () => {
    const user = await newUser();
    const form = await atLoginPage();
    await form.signIn(user.email, 'Wrong-Pass-Ee55');
    await form.signIn(user.email, user.password);
    const all = logs.join('');
    // The logger did see the sign-in requests, so its silence about passwords means something.
    expect(all).toContain(`/oauth/${f.accountId}/login`);
    expect(typed.size).toBeGreaterThan(10);
    for (const password of typed) expect(all).not.toContain(password);
  });
});

describe('sign-ins that race', () => {
  /** The login page's CSRF token and cookie, and a poster of the form that keeps using them. */
  async function loginForm() {
    const page = await fetch(loginUrl());
    const csrf = hiddenField(await page.text(), 'csrf');
    const cookie = page.headers
      .getSetCookie()
      .map((c) => c.split(';')[0])
      .join('; ');
    return (email: string, password: string) => {
      typed.add(password);
      return fetch(loginUrl(), {
        method: 'POST',
        redirect: 'manual',
        headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
        body: formBody({ csrf, email, password }),
      });
    };
  }

  it('40 parallel sign-ins for one email reach the password check at most 6 times; the right password sent once locked is refused', async () => {
    const user = await newUser();
    const signIn = await loginForm();
    const post = (password: string) => signIn(user.email, password);
    const answers = Array.from({ length: 39 }, (_, n) => post(`Wrong-Pass-${n}-Gg77`));
    // The right password follows as soon as the first refusal shows the email locked: it must not
    // get in, however many wrong guesses are still in flight around it.
    // (When none is refused, the right password goes last, and the counts below tell the story.)
    await Promise.any(
      answers.map(async (answer) => {
        if ((await answer).status !== 429) throw new Error('not refused');
      }),
    ).catch(() => undefined);
    const right = await post(user.password);
    const all = [...(await Promise.all(answers)), right];

    const statuses = all.map((a) => a.status);
    // "Reached the password check" seen from outside: every answer that is not the throttle's 429
    // is a verdict on the password (401 wrong, 303 signed in).
    const reached = statuses.filter((s) => s !== 429);
    // The five free attempts, and a sixth only if the burst outlasted the first 1 s lock.
    expect(reached.length, `statuses: ${statuses.join(' ')}`).toBeLessThanOrEqual(6);
    expect(reached.length).toBeGreaterThanOrEqual(5);
    expect(reached.every((s) => s === 401)).toBe(true);
    expect(right.status).toBe(429);
    for (const answer of all.filter((a) => a.status === 429)) {
      expect(alertOf(await answer.text())).toMatch(/^Too many failed sign-ins; try again in \d+ s\.$/);
      expect(Number(answer.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    }
    expect(all.some((a) => a.headers.getSetCookie().some((c) => c.startsWith('keyhold_session=')))).toBe(
      false,
    );

    // The audit trail agrees: one DENY per password actually checked, and no session.
    const events = await f.admin<AuditEvent[]>('GET', '/audit?limit=1000');
    const logins = events.filter((e) => e.actorId === user.id && e.resourceType === 'LOGIN_SESSION');
    expect(logins.map((e) => e.result)).toEqual(reached.map(() => 'DENY'));
  });

  it('throttles 40 parallel sign-ins for an unknown email the same way: an attacker cannot tell', async () => {
    const signIn = await loginForm();
    const answers = await Promise.all(
      Array.from({ length: 40 }, (_, n) => signIn('nobody-at-all@example.com', `Wrong-Pass-${n}-Hh88`)),
    );
    const statuses = answers.map((a) => a.status);
    const reached = statuses.filter((s) => s !== 429);
    expect(reached.length, `statuses: ${statuses.join(' ')}`).toBeLessThanOrEqual(6);
    expect(reached.length).toBeGreaterThanOrEqual(5);
    expect(reached.every((s) => s === 401)).toBe(true);
  });
});
