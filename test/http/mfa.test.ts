import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminTokenPrincipal } from '../../src/domain/access/principals.js';
import { PAGE_CSP } from '../../src/http/oauth/pages/security-headers.js';
import { client, startTestApp, type TestApp } from '../helpers/app.js';
import { Members } from '../helpers/members.js';
import { hiddenFields, PageBrowser } from '../helpers/page-browser.js';
import { nextTotpCode, secretFromEnrolmentPage, TOTP_PERIOD_MS, totpCode } from '../helpers/totp.js';

/**
 * TOTP sign-in over the real pages and admin API (app.inject, a real SQLite file): enrolment,
 * the second step, its throttle, recovery codes, the account policy, an administrator's reset,
 * and a TOTP row moved to another user.
 */
let t: TestApp;
let base: string;
let api: ReturnType<typeof client>;
let members: Members;

beforeAll(async () => {
  t = await startTestApp();
  base = `/oauth/${t.accountId}`;
  api = client(t.app, t.token);
  members = new Members(t, 'user');
});
afterAll(async () => {
  await t?.close();
});

const auditRows = () => {
  const raw = new Database(join(t.dir, 'keyhold.db'), { readonly: true });
  try {
    return raw.prepare('select * from audit_events order by seq').all() as Record<string, unknown>[];
  } finally {
    raw.close();
  }
};

describe('enrolment on the settings page', () => {
  it('shows an inline QR code and the key under the page CSP, switches on only with a valid code, shows recovery codes once', async () => {
    const u = await members.create();
    await members.signIn(u.browser, u.email);
    const page = await u.browser.get(`${base}/mfa`);
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-security-policy']).toBe(PAGE_CSP);
    expect(page.body).toMatch(/<figure class="qr"><svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    // Nothing loaded from elsewhere, no script, no inline style (the CSP allows none).
    expect(page.body).not.toMatch(/<script|<img|style="|src="http/);
    const secret = secretFromEnrolmentPage(page.body);
    // A reload shows the same key: the app may have scanned it already.
    expect(secretFromEnrolmentPage((await u.browser.get(`${base}/mfa`)).body)).toBe(secret);

    const wrong = await u.browser.submit(`${base}/mfa`, {
      code: '000000' === totpCode(secret) ? '111111' : '000000',
    });
    expect(wrong.statusCode).toBe(401);
    expect(wrong.body).toContain('The code is wrong');
    expect((await api.get(`/users/${u.id}/mfa`)).json()).toEqual({
      userId: u.id,
      enabled: false,
      recoveryCodesLeft: 0,
    });

    const done = await u.browser.submit(`${base}/mfa`, { code: totpCode(secret) });
    expect(done.statusCode).toBe(200);
    const codes = [...done.body.matchAll(/<li><code>([A-Z2-7-]+)<\/code><\/li>/g)].map((m) => m[1]);
    expect(codes).toHaveLength(10);
    expect((await api.get(`/users/${u.id}/mfa`)).json()).toEqual({
      userId: u.id,
      enabled: true,
      recoveryCodesLeft: 10,
    });

    // Shown once: the settings page now offers only to turn it off, without key or codes.
    const after = await u.browser.get(`${base}/mfa`);
    expect(after.body).toContain('Two-step sign-in is on');
    expect(after.body).not.toContain(secret);
    for (const code of codes) expect(after.body).not.toContain(code);

    // Neither the key nor a code is in the database in the clear, in the audit trail or the logs.
    const raw = new Database(join(t.dir, 'keyhold.db'), { readonly: true });
    const dump =
      JSON.stringify(raw.prepare('select * from user_totp').all()) +
      JSON.stringify(raw.prepare('select * from user_recovery_codes').all());
    raw.close();
    const events = JSON.stringify(auditRows());
    for (const text of [secret, ...codes.map((c) => (c as string).replaceAll('-', '')), ...codes]) {
      expect(dump).not.toContain(text as string);
      expect(events).not.toContain(text as string);
      expect(t.logs.join('')).not.toContain(text as string);
    }
    expect(
      auditRows().some((e) => e.resource_type === 'MFA' && e.action === 'CREATE' && e.resource_id === u.id),
    ).toBe(true);
  });

  it('turns off only with a current code; the settings page needs a session', async () => {
    const u = await members.enrolled();
    const anonymous = new PageBrowser(t.app);
    expect((await anonymous.get(`${base}/mfa`)).statusCode).toBe(303);

    await members.signIn(u.browser, u.email);
    // The enrolment used this step's code: a sign-in right after takes the next step's.
    expect((await u.browser.submit(`${base}/login/mfa`, { code: nextTotpCode(u.secret) })).statusCode).toBe(
      303,
    );
    const wrong = await u.browser.submit(`${base}/mfa`, { code: '12345' });
    expect(wrong.statusCode).toBe(401);
    expect((await api.get(`/users/${u.id}/mfa`)).json().enabled).toBe(true);
    // Both steps in the window are used now: a recovery code does it.
    expect((await u.browser.submit(`${base}/mfa`, { code: nextTotpCode(u.secret) })).statusCode).toBe(401);
    const off = await u.browser.submit(`${base}/mfa`, { code: u.codes[0] as string });
    expect(off.statusCode).toBe(303);
    expect((await api.get(`/users/${u.id}/mfa`)).json().enabled).toBe(false);
    expect(
      auditRows().some((e) => e.resource_type === 'MFA' && e.action === 'DELETE' && e.result === 'SUCCESS'),
    ).toBe(true);
  });
});

describe('signing in with a second factor', () => {
  it('asks for a code before any session exists, then continues where the sign-in was going', async () => {
    const u = await members.enrolled();
    const request = 'response_type=code&client_id=abc&state=s%26t';
    const first = await members.signIn(u.browser, u.email, { request });
    expect(first.statusCode).toBe(303);
    expect(first.headers.location).toBe(`${base}/login/mfa?${new URLSearchParams({ request })}`);
    expect(u.browser.cookies.has('keyhold_session')).toBe(false);
    expect(u.browser.cookies.get('keyhold_mfa')).toMatch(/^khmfa_/);
    expect(String(first.headers['set-cookie'])).toMatch(/keyhold_mfa=.*HttpOnly.*SameSite=Strict/);
    // Only the cookie's hash is stored.
    const raw = new Database(join(t.dir, 'keyhold.db'), { readonly: true });
    const stored = JSON.stringify(raw.prepare('select * from mfa_challenges').all());
    raw.close();
    expect(stored).not.toContain(u.browser.cookies.get('keyhold_mfa') as string);
    // Without the second step there is no session: the grants page sends back to sign in.
    expect((await u.browser.get(`${base}/grants`)).statusCode).toBe(303);

    const codePage = await u.browser.get(first.headers.location as string);
    expect(codePage.statusCode).toBe(200);
    expect(codePage.body).toContain('one of your recovery codes');

    // Another browser (without the cookie) cannot finish it.
    const thief = new PageBrowser(t.app);
    const stolen = await thief.post(`${base}/login/mfa`, { code: totpCode(u.secret), csrf: 'x' });
    expect(stolen.statusCode).toBe(401);
    expect(thief.cookies.has('keyhold_session')).toBe(false);

    const wrongCode = totpCode(u.secret) === '000000' ? '111111' : '000000';
    const wrong = await u.browser.submit(first.headers.location as string, { code: wrongCode });
    expect(wrong.statusCode).toBe(401);
    expect(u.browser.cookies.has('keyhold_session')).toBe(false);

    const ok = await u.browser.submit(first.headers.location as string, { code: nextTotpCode(u.secret) });
    expect(ok.statusCode).toBe(303);
    expect(ok.headers.location).toBe(`${base}/authorize?${new URLSearchParams(request)}`);
    expect(u.browser.cookies.get('keyhold_session')).toMatch(/^khss_/);
    expect(u.browser.cookies.has('keyhold_mfa')).toBe(false);
    expect((await u.browser.get(`${base}/grants`)).statusCode).toBe(200);
  });

  it('refuses a code already used, in a later sign-in too', async () => {
    const u = await members.enrolled();
    const code = nextTotpCode(u.secret);
    await members.signIn(u.browser, u.email);
    expect((await u.browser.submit(`${base}/login/mfa`, { code })).statusCode).toBe(303);
    await u.browser.submit(`${base}/grants`, {}, `${base}/logout`);
    await members.signIn(u.browser, u.email);
    const replay = await u.browser.submit(`${base}/login/mfa`, { code });
    expect(replay.statusCode).toBe(401);
    expect(replay.body).toContain('already used');
    expect(u.browser.cookies.has('keyhold_session')).toBe(false);
  });

  it('lets one of two parallel sign-ins with the same code through', async () => {
    const u = await members.enrolled();
    const other = new PageBrowser(t.app, u.browser.remoteAddress);
    await members.signIn(u.browser, u.email);
    await members.signIn(other, u.email);
    const code = nextTotpCode(u.secret);
    const pages = await Promise.all([u.browser, other].map((b) => b.get(`${base}/login/mfa`)));
    const answers = await Promise.all(
      [u.browser, other].map((b, i) =>
        b.post(`${base}/login/mfa`, { ...hiddenFields((pages[i] as { body: string }).body), code }),
      ),
    );
    expect(answers.map((a) => a.statusCode).sort()).toEqual([303, 401]);
  });

  it('throttles wrong codes like passwords: of parallel guesses only the free ones are checked', async () => {
    const u = await members.enrolled();
    await members.signIn(u.browser, u.email);
    const page = await u.browser.get(`${base}/login/mfa`);
    const fields = hiddenFields(page.body);
    const right = new Set([-1, 0, 1].map((d) => totpCode(u.secret, Date.now() + d * TOTP_PERIOD_MS)));
    const guesses = Array.from({ length: 20 }, (_, i) => String(100000 + i * 7919)).filter(
      (g) => !right.has(g),
    );
    const before = auditRows().length;
    const answers = await Promise.all(
      guesses.map((code) => u.browser.post(`${base}/login/mfa`, { ...fields, code })),
    );
    const checked = answers.filter((a) => a.statusCode === 401).length;
    const throttled = answers.filter((a) => a.statusCode === 429);
    expect(checked).toBeLessThanOrEqual(5);
    expect(checked + throttled.length).toBe(guesses.length);
    expect(throttled[0]?.headers['retry-after']).toMatch(/^\d+$/);
    const denied = auditRows()
      .slice(before)
      .filter((e) => e.resource_type === 'LOGIN_SESSION' && e.result === 'DENY');
    expect(denied.length).toBe(checked);
    // The right code waits too: the throttle is ahead of the check.
    const now = await u.browser.post(`${base}/login/mfa`, { ...fields, code: nextTotpCode(u.secret) });
    expect(now.statusCode).toBe(429);
    expect(u.browser.cookies.has('keyhold_session')).toBe(false);
  });

  it('ends a pending sign-in after five codes, whatever the address', async () => {
    const u = await members.enrolled();
    await members.signIn(u.browser, u.email);
    const fields = hiddenFields((await u.browser.get(`${base}/login/mfa`)).body);
    const right = new Set([-1, 0, 1].map((d) => totpCode(u.secret, Date.now() + d * TOTP_PERIOD_MS)));
    const codes = ['111111', '222222', '333333', '444444', '555555', '666666'].filter((c) => !right.has(c));
    for (let i = 0; i < 5; i++) {
      // A fresh address each time: the per-address throttle is not what stops this.
      const hop = new PageBrowser(t.app, `198.51.100.${i + 1}`);
      for (const [k, v] of u.browser.cookies) hop.cookies.set(k, v);
      expect((await hop.post(`${base}/login/mfa`, { ...fields, code: codes[i] as string })).statusCode).toBe(
        401,
      );
    }
    const last = new PageBrowser(t.app, '198.51.100.99');
    for (const [k, v] of u.browser.cookies) last.cookies.set(k, v);
    const ended = await last.post(`${base}/login/mfa`, { ...fields, code: nextTotpCode(u.secret) });
    expect(ended.statusCode).toBe(401);
    expect(ended.body).toContain('sign in again');
    expect(last.cookies.has('keyhold_session')).toBe(false);
  });

  it('accepts each recovery code once instead of a TOTP code', async () => {
    const u = await members.enrolled();
    const [first] = u.codes as [string];
    await members.signIn(u.browser, u.email);
    const ok = await u.browser.submit(`${base}/login/mfa`, { code: first.toLowerCase() });
    expect(ok.statusCode).toBe(303);
    expect(u.browser.cookies.has('keyhold_session')).toBe(true);
    expect((await api.get(`/users/${u.id}/mfa`)).json().recoveryCodesLeft).toBe(9);
    await u.browser.submit(`${base}/grants`, {}, `${base}/logout`);
    await members.signIn(u.browser, u.email);
    const again = await u.browser.submit(`${base}/login/mfa`, { code: first });
    expect(again.statusCode).toBe(401);
    expect(u.browser.cookies.has('keyhold_session')).toBe(false);
    expect(
      auditRows().some((e) => e.resource_type === 'MFA' && e.action === 'UPDATE' && e.actor_id === u.id),
    ).toBe(true);
  });
});

describe('account policy', () => {
  it('makes a user without TOTP enrol right after the password, before any session', async () => {
    const u = await members.create();
    const put = await api.put('/account/policy', { requireMfa: true });
    expect(put.statusCode).toBe(200);
    expect(put.json()).toEqual({ requireMfa: true, requirePushedAuthorizationRequests: false });
    try {
      expect((await api.get('/account/policy')).json()).toEqual({
        requireMfa: true,
        requirePushedAuthorizationRequests: false,
      });
      const first = await members.signIn(u.browser, u.email, { request: 'client_id=abc' });
      expect(first.statusCode).toBe(303);
      expect(u.browser.cookies.has('keyhold_session')).toBe(false);
      const page = await u.browser.get(first.headers.location as string);
      expect(page.body).toContain('Your account requires a second step');
      const secret = secretFromEnrolmentPage(page.body);
      expect((await u.browser.get(`${base}/grants`)).statusCode).toBe(303);
      const done = await u.browser.submit(first.headers.location as string, { code: totpCode(secret) });
      expect(done.statusCode).toBe(200);
      expect(done.body).toMatch(/<li><code>[A-Z2-7-]{19}<\/code><\/li>/);
      expect(done.body).toContain(`href="${base}/authorize?client_id=abc"`);
      expect(u.browser.cookies.has('keyhold_session')).toBe(true);
      expect((await api.get(`/users/${u.id}/mfa`)).json().enabled).toBe(true);
    } finally {
      await api.put('/account/policy', { requireMfa: false });
    }
  });

  it('refuses a malformed policy with 400 naming the field', async () => {
    for (const body of [{ requireMfa: 'yes' }, {}, { requireMfa: true, extra: 1 }]) {
      const res = await api.put('/account/policy', body);
      expect(res.statusCode).toBe(400);
      expect(res.json().code).toBe('invalid_input');
    }
  });
});

describe('administrator reset', () => {
  it('removes a user’s TOTP: the password alone signs in again, and the reset is audited', async () => {
    const u = await members.enrolled();
    const res = await api.delete(`/users/${u.id}/mfa`);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ userId: u.id, removed: true });
    expect((await api.delete(`/users/${u.id}/mfa`)).json()).toEqual({ userId: u.id, removed: false });
    const signedIn = await members.signIn(u.browser, u.email);
    expect(signedIn.headers.location).toBe(`${base}/grants`);
    expect(u.browser.cookies.has('keyhold_session')).toBe(true);
    expect(
      auditRows().some(
        (e) => e.resource_type === 'MFA' && e.action === 'DELETE' && e.actor_type === 'admin_token',
      ),
    ).toBe(true);
    const missing = await api.delete('/users/00000000000000000000000000/mfa');
    expect(missing.statusCode).toBe(404);
  });

  it('is decided by the access rules: an admin may not reset an owner', async () => {
    const owner = (await api.get('/users?email=owner@keyhold.local')).json()[0];
    const ctx = {
      actor: {
        type: 'admin_token' as const,
        id: 'tok',
        accountId: t.accountId,
        tokenId: 'tok',
        operator: false,
      },
      principal: adminTokenPrincipal(
        { id: 'tok', accountId: t.accountId, role: 'admin', expiresAt: null },
        false,
      ),
      requestId: null,
      ip: null,
      userAgent: null,
    };
    await expect(t.services.mfa.reset(ctx, owner.id)).rejects.toMatchObject({
      status: 403,
      code: 'forbidden',
    });
    const auditor = {
      ...ctx,
      principal: adminTokenPrincipal(
        { id: 'tok', accountId: t.accountId, role: 'auditor', expiresAt: null },
        false,
      ),
    };
    await expect(t.services.mfa.setPolicy(auditor, { requireMfa: true })).rejects.toMatchObject({
      status: 403,
    });
    expect(await t.services.mfa.policy(auditor)).toEqual({
      requireMfa: false,
      requirePushedAuthorizationRequests: false,
    });
  });

  it('tells a caller without users:read nothing about a user id: the same 403 whether it exists or not, audited', async () => {
    const made = await api.post('/admin-tokens', { name: 'connect only', role: 'connect-manager' });
    const cm = client(t.app, made.json().token as string);
    const u = await members.create();
    const unknown = '00000000000000000000000000';
    for (const [method, permission] of [
      ['get', 'users:read'],
      ['delete', 'users:write'],
    ] as const) {
      const real = await cm[method](`/users/${u.id}/mfa`);
      const fake = await cm[method](`/users/${unknown}/mfa`);
      expect([real.statusCode, fake.statusCode]).toEqual([403, 403]);
      expect(fake.json().message).toBe(real.json().message);
      expect(fake.json().message).toContain(permission);
    }
    const denied = auditRows().filter(
      (e) => e.resource_type === 'MFA' && e.result === 'DENY' && e.resource_id === unknown,
    );
    expect(denied.map((e) => e.action).sort()).toEqual(['DELETE', 'READ']);
  });
});

describe('tampered storage', () => {
  it('refuses a TOTP row copied to another user (409 mfa_unavailable, never a session, never a 500)', async () => {
    const victim = await members.enrolled();
    const attacker = await members.create();
    const raw = new Database(join(t.dir, 'keyhold.db'));
    raw
      .prepare(
        `insert into user_totp (user_id, account_id, secret, enabled, last_step, created_at, enabled_at)
         select ?, account_id, secret, enabled, -1, created_at, enabled_at from user_totp where user_id = ?`,
      )
      .run(attacker.id, victim.id);
    raw.close();
    const first = await members.signIn(attacker.browser, attacker.email);
    expect(first.headers.location).toBe(`${base}/login/mfa`);
    const res = await attacker.browser.submit(`${base}/login/mfa`, { code: totpCode(victim.secret) });
    expect(res.statusCode).toBe(409);
    expect(res.body).toContain('failed its integrity check');
    expect(attacker.browser.cookies.has('keyhold_session')).toBe(false);
    // The administrator's remedy works.
    expect((await api.delete(`/users/${attacker.id}/mfa`)).json().removed).toBe(true);
    await members.signIn(attacker.browser, attacker.email);
    expect(attacker.browser.cookies.has('keyhold_session')).toBe(true);
  });
});
