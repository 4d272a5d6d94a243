import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { client, startTestApp, type TestApp } from '../helpers/app.js';
import { hiddenFields, PageBrowser } from '../helpers/page-browser.js';
import { secretFromEnrolmentPage, totpCode } from '../helpers/totp.js';

/**
 * A pending TOTP key belongs to the one sign-in context that opened enrolment (a login session on
 * the settings page, or a pending second step at an enforced enrolment): another context of the
 * same user never sees it, gets a new key instead, and a key replaced that way is never switched
 * on — its context is told to start again. Real pages over app.inject, a real SQLite file.
 */
let t: TestApp;
let base: string;
let api: ReturnType<typeof client>;
let users = 0;
let browsers = 0;
const PASSWORD = 'a long enough password';

beforeAll(async () => {
  t = await startTestApp();
  base = `/oauth/${t.accountId}`;
  api = client(t.app, t.token);
});
afterAll(async () => {
  await t?.close();
});
afterEach(async () => {
  expect((await api.put('/account/policy', { requireMfa: false })).statusCode).toBe(200);
});

async function newUser(): Promise<{ id: string; email: string }> {
  const email = `binding${++users}@example.com`;
  const res = await api.post('/users', { email, password: PASSWORD, role: 'member' });
  expect(res.statusCode).toBe(201);
  return { id: res.json().id, email };
}

/** A browser of its own (own cookies, own address) that has given the user's password. */
async function signedIn(email: string): Promise<{ browser: PageBrowser; location: string }> {
  const browser = new PageBrowser(t.app, `198.51.100.${++browsers}`);
  const res = await browser.submit(`${base}/login`, { email, password: PASSWORD });
  expect(res.statusCode).toBe(303);
  return { browser, location: res.headers.location as string };
}

const enabled = async (userId: string) => (await api.get(`/users/${userId}/mfa`)).json().enabled as boolean;

const requireMfa = async () =>
  expect((await api.put('/account/policy', { requireMfa: true })).statusCode).toBe(200);

/** Posts an enrolment page's form (as loaded earlier, without loading it again) with a code. */
const confirm = (browser: PageBrowser, page: { body: string }, action: string, code: string) =>
  browser.post(action, { ...hiddenFields(page.body), code });

/** The "start again" answer: 409, no key on it, a link back to the enrolment page. */
function expectStartAgain(res: { statusCode: number; body: string }, href: string) {
  expect(res.statusCode).toBe(409);
  expect(res.body).toContain('That key no longer works');
  expect(res.body).toContain(`href="${href}"`);
  expect(res.body).not.toContain('totp-secret');
}

describe('a pending TOTP key belongs to the sign-in that opened enrolment', () => {
  it('two sessions on the settings page: the second gets its own key, the first’s confirmation is refused, the second’s works', async () => {
    const u = await newUser();
    const first = (await signedIn(u.email)).browser;
    const second = (await signedIn(u.email)).browser;
    const firstPage = await first.get(`${base}/mfa`);
    const firstKey = secretFromEnrolmentPage(firstPage.body);
    // The same session reloading still sees its key (the app may have scanned it already).
    expect(secretFromEnrolmentPage((await first.get(`${base}/mfa`)).body)).toBe(firstKey);

    const secondPage = await second.get(`${base}/mfa`);
    const secondKey = secretFromEnrolmentPage(secondPage.body);
    expect(secondKey).not.toBe(firstKey);
    expect(secondPage.body).not.toContain(firstKey);

    // A right code for the key the first session was shown: refused, clearly, nothing switched on.
    const refused = await confirm(first, firstPage, `${base}/mfa/enable`, totpCode(firstKey));
    expectStartAgain(refused, `${base}/mfa`);
    expect(refused.body).not.toContain(secondKey);
    expect(await enabled(u.id)).toBe(false);

    const done = await confirm(second, secondPage, `${base}/mfa/enable`, totpCode(secondKey));
    expect(done.statusCode).toBe(200);
    expect(done.body).toMatch(/<li><code>[A-Z2-7-]{19}<\/code><\/li>/);
    expect(await enabled(u.id)).toBe(true);
  });

  it('a settings session while an enforced enrolment is pending at sign-in: neither sees the other’s key, and only the latest one is switched on', async () => {
    const u = await newUser();
    const settings = (await signedIn(u.email)).browser; // a session from before the policy
    await requireMfa();
    const pending = await signedIn(u.email);
    expect(pending.location).toBe(`${base}/login/mfa`);
    const stepPage = await pending.browser.get(pending.location);
    expect(stepPage.body).toContain('Your account requires a second step');
    const stepKey = secretFromEnrolmentPage(stepPage.body);

    const settingsPage = await settings.get(`${base}/mfa`);
    const settingsKey = secretFromEnrolmentPage(settingsPage.body);
    expect(settingsKey).not.toBe(stepKey);

    // The pending sign-in's key was replaced: no session, no MFA, and the pending sign-in is kept.
    const refused = await confirm(pending.browser, stepPage, `${base}/login/mfa`, totpCode(stepKey));
    expectStartAgain(refused, `${base}/login/mfa`);
    expect(pending.browser.cookies.has('keyhold_session')).toBe(false);
    expect(pending.browser.cookies.has('keyhold_mfa')).toBe(true);
    expect(await enabled(u.id)).toBe(false);

    const done = await confirm(settings, settingsPage, `${base}/mfa/enable`, totpCode(settingsKey));
    expect(done.statusCode).toBe(200);
    expect(await enabled(u.id)).toBe(true);
  });

  it('two pending sign-ins at an enforced enrolment, and a settings session before them: the one that started again finishes', async () => {
    const u = await newUser();
    const settings = (await signedIn(u.email)).browser;
    await requireMfa();
    const a = await signedIn(u.email);
    const b = await signedIn(u.email);
    const aPage = await a.browser.get(a.location);
    const aKey = secretFromEnrolmentPage(aPage.body);
    expect(secretFromEnrolmentPage((await a.browser.get(a.location)).body)).toBe(aKey);
    const bPage = await b.browser.get(b.location);
    const bKey = secretFromEnrolmentPage(bPage.body);
    expect(bKey).not.toBe(aKey);

    expectStartAgain(
      await confirm(a.browser, aPage, `${base}/login/mfa`, totpCode(aKey)),
      `${base}/login/mfa`,
    );
    // Following the link, the first sign-in gets a new key of its own (neither its old one nor b's)…
    const again = await a.browser.get(a.location);
    const newKey = secretFromEnrolmentPage(again.body);
    expect([aKey, bKey]).not.toContain(newKey);
    // …which the settings session does not see either, and b's key is now dead too.
    const settingsPage = await settings.get(`${base}/mfa`);
    expect([aKey, bKey, newKey]).not.toContain(secretFromEnrolmentPage(settingsPage.body));
    expectStartAgain(
      await confirm(b.browser, bPage, `${base}/login/mfa`, totpCode(bKey)),
      `${base}/login/mfa`,
    );
    const stale = await confirm(a.browser, again, `${base}/login/mfa`, totpCode(newKey));
    expectStartAgain(stale, `${base}/login/mfa`);
    expect(await enabled(u.id)).toBe(false);

    const last = await a.browser.get(a.location);
    const lastKey = secretFromEnrolmentPage(last.body);
    const done = await confirm(a.browser, last, `${base}/login/mfa`, totpCode(lastKey));
    expect(done.statusCode).toBe(200);
    expect(a.browser.cookies.has('keyhold_session')).toBe(true);
    expect(await enabled(u.id)).toBe(true);
    // The settings page of the other session now shows it on, without any key.
    const after = await settings.get(`${base}/mfa`);
    expect(after.body).toContain('Two-step sign-in is on');
    expect(after.body).not.toContain('totp-secret');
  });

  it('of parallel confirmations from two contexts with right codes for their own keys, only the current owner’s switches it on', async () => {
    const u = await newUser();
    const first = (await signedIn(u.email)).browser;
    const second = (await signedIn(u.email)).browser;
    const firstPage = await first.get(`${base}/mfa`);
    const secondPage = await second.get(`${base}/mfa`);
    const answers = await Promise.all([
      confirm(first, firstPage, `${base}/mfa/enable`, totpCode(secretFromEnrolmentPage(firstPage.body))),
      confirm(second, secondPage, `${base}/mfa/enable`, totpCode(secretFromEnrolmentPage(secondPage.body))),
    ]);
    expect(answers.map((a) => a.statusCode)).toEqual([409, 200]);
    expect((await api.get(`/users/${u.id}/mfa`)).json().recoveryCodesLeft).toBe(10);
  });
});
