import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '../../src/crypto/ids.js';
import { hashSecret, newBearerSecret } from '../../src/crypto/secrets.js';
import { client, startTestApp, TEST_PUBLIC_URL, type TestApp } from '../helpers/app.js';
import { Members } from '../helpers/members.js';
import { nextTotpCode, totpCode } from '../helpers/totp.js';

/**
 * The web console's session API (`/api/admin/session`) and the console cookie on the admin API,
 * over the real app and a real SQLite file: sign-in (one account, several, named), the second
 * step, CSRF, expiry, disable, sign-out, the throttle, and what error bodies never hold.
 */
let t: TestApp;
let api: ReturnType<typeof client>;
let members: Members;
let addresses = 0;

const PASSWORD = 'a long enough password';

/** A browser of the console: its own cookies and address, JSON requests under /api/admin. */
class ConsoleBrowser {
  readonly cookies = new Map<string, string>();
  readonly setCookies: string[] = [];
  csrf: string | undefined;
  readonly remoteAddress = `198.51.100.${++addresses}`;

  async call(
    method: 'GET' | 'POST' | 'PUT' | 'DELETE',
    url: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<LightMyRequestResponse> {
    const cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    const res = await t.app.inject({
      method,
      url: `/api/admin${url}`,
      remoteAddress: this.remoteAddress,
      headers: { ...(cookie ? { cookie } : {}), ...headers },
      ...(body === undefined ? {} : { payload: body as Record<string, unknown> }),
    });
    const raw = res.headers['set-cookie'];
    for (const line of raw === undefined ? [] : Array.isArray(raw) ? raw : [raw]) {
      this.setCookies.push(line);
      const [pair = ''] = line.split(';');
      const at = pair.indexOf('=');
      const name = pair.slice(0, at).trim();
      const value = decodeURIComponent(pair.slice(at + 1).trim());
      if (/max-age=0/i.test(line) || value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    return res;
  }

  /** A state-changing call with the session's CSRF token (and the service's own Origin). */
  send(method: 'POST' | 'PUT' | 'DELETE', url: string, body?: unknown) {
    return this.call(method, url, body, {
      'x-csrf-token': this.csrf ?? '',
      origin: TEST_PUBLIC_URL,
    });
  }

  async signIn(fields: Record<string, string>): Promise<LightMyRequestResponse> {
    const res = await this.call('POST', '/session', fields);
    if (res.statusCode === 200 && res.json().csrfToken) this.csrf = res.json().csrfToken;
    return res;
  }
}

async function member(email: string, accountToken = t.token, role = 'member') {
  const res = await client(t.app, accountToken).post('/users', { email, password: PASSWORD, role });
  expect(res.statusCode).toBe(201);
  return res.json() as { id: string; email: string };
}

async function newAccount(name: string): Promise<{ id: string; token: string }> {
  const res = await api.post('/accounts', { name });
  expect(res.statusCode).toBe(201);
  const body = res.json();
  return { id: body.id ?? body.account?.id, token: body.adminToken };
}

beforeAll(async () => {
  t = await startTestApp();
  api = client(t.app, t.token);
  members = new Members(t, 'console-mfa');
});
afterAll(async () => t.close());

describe('console sign-in', () => {
  it('signs in to the one account an email has, with an http-only strict cookie', async () => {
    const u = await member('one@example.com');
    const b = new ConsoleBrowser();
    const res = await b.signIn({ email: 'One@Example.com ', password: PASSWORD });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      user: { id: u.id, email: 'one@example.com', role: 'member' },
      account: { id: t.accountId, name: 'Default' },
    });
    expect(res.json().csrfToken).toMatch(/^csrf_/);
    const line = b.setCookies.find((l) => l.startsWith('keyhold_console='));
    expect(line).toMatch(/HttpOnly/);
    expect(line).toMatch(/SameSite=Strict/);
    expect(line).toMatch(/Path=\/api\/admin(;|$)/);
    expect(line).toMatch(/Max-Age=28800/);
    expect(line).not.toMatch(/Secure/); // the test public URL is http
    const session = await b.call('GET', '/session');
    expect(session.statusCode).toBe(200);
    expect(session.json()).toMatchObject({ user: { id: u.id }, csrfToken: b.csrf });
    expect(Date.parse(session.json().expiresAt)).toBeGreaterThan(Date.now());
  });

  it('lists the accounts only for the right password, and answers a wrong one as an unknown email', async () => {
    const other = await newAccount('Second account');
    await member('two@example.com');
    await member('two@example.com', other.token);
    const b = new ConsoleBrowser();
    const both = await b.signIn({ email: 'two@example.com', password: PASSWORD });
    expect(both.statusCode).toBe(200);
    expect(both.json()).toEqual({
      accounts: expect.arrayContaining([
        { id: t.accountId, name: 'Default' },
        { id: other.id, name: 'Second account' },
      ]),
    });
    expect(both.json().accounts).toHaveLength(2);
    expect(b.cookies.size).toBe(0);

    const wrong = await new ConsoleBrowser().signIn({ email: 'two@example.com', password: 'not it at all' });
    const unknown = await new ConsoleBrowser().signIn({ email: 'nobody@example.com', password: PASSWORD });
    expect(wrong.statusCode).toBe(401);
    expect(unknown.statusCode).toBe(401);
    expect(wrong.json()).toEqual(unknown.json());
    expect(wrong.json().code).toBe('invalid_credentials');
    expect(wrong.headers['set-cookie']).toBeUndefined();

    // Naming the account signs in there, and only there.
    const named = await b.signIn({ email: 'two@example.com', password: PASSWORD, account: other.id });
    expect(named.statusCode).toBe(200);
    expect(named.json().account).toEqual({ id: other.id, name: 'Second account' });
    const whoami = await b.call('GET', '/whoami');
    expect(whoami.statusCode).toBe(200);
    expect(JSON.stringify(whoami.json())).toContain(other.id);
    expect(JSON.stringify(whoami.json())).not.toContain(t.accountId);
    // A wrong password with the account named is the same refusal.
    const namedWrong = await new ConsoleBrowser().signIn({
      email: 'two@example.com',
      password: 'not it at all',
      account: other.id,
    });
    expect(namedWrong.statusCode).toBe(401);
    expect(namedWrong.json()).toEqual(unknown.json());
  });

  it('never lets one account’s cookie act in another', async () => {
    const other = await newAccount('Third account');
    const theirs = await client(t.app, other.token).post('/vaults', { name: 'Theirs' });
    expect(theirs.statusCode).toBe(201);
    await member('isolated@example.com', t.token, 'admin');
    const b = new ConsoleBrowser();
    expect((await b.signIn({ email: 'isolated@example.com', password: PASSWORD })).statusCode).toBe(200);
    expect((await b.call('GET', `/vaults/${theirs.json().id}`)).statusCode).toBe(404);
    const listed = await b.call('GET', '/vaults');
    expect(listed.statusCode).toBe(200);
    expect(listed.json().map((v: { id: string }) => v.id)).not.toContain(theirs.json().id);
    expect((await b.send('DELETE', `/vaults/${theirs.json().id}`)).statusCode).toBe(404);
    expect((await client(t.app, other.token).get(`/vaults/${theirs.json().id}`)).statusCode).toBe(200);
  });

  it('takes the second step of a user with TOTP on before any session', async () => {
    const u = await members.enrolled();
    const b = new ConsoleBrowser();
    const first = await b.signIn({ email: u.email, password: PASSWORD });
    expect(first.statusCode).toBe(200);
    expect(first.json()).toEqual({ secondStep: 'verify' });
    expect(b.cookies.has('keyhold_console')).toBe(false);
    expect(b.setCookies.find((l) => l.startsWith('keyhold_console_mfa='))).toMatch(
      /HttpOnly.*SameSite=Strict|SameSite=Strict.*HttpOnly/,
    );
    const wrongCode = totpCode(u.secret) === '000000' ? '111111' : '000000';
    const wrong = await b.call('POST', '/session/second-step', { code: wrongCode });
    expect(wrong.statusCode).toBe(401);
    expect(wrong.json().code).toBe('invalid_credentials');
    // The enrolment used this step's code: this sign-in takes the next step's.
    const done = await b.call('POST', '/session/second-step', { code: nextTotpCode(u.secret) });
    expect(done.statusCode).toBe(200);
    expect(done.json()).toMatchObject({ user: { id: u.id }, account: { id: t.accountId } });
    b.csrf = done.json().csrfToken;
    expect(b.cookies.has('keyhold_console')).toBe(true);
    expect(b.cookies.has('keyhold_console_mfa')).toBe(false);
    expect((await b.call('GET', '/session')).statusCode).toBe(200);
  });

  it('makes a user enrol a second factor where the account requires one, then signs in', async () => {
    const other = await newAccount('Strict account');
    const theirs = client(t.app, other.token);
    const u = await member('enrol@example.com', other.token);
    expect((await theirs.put('/account/policy', { requireMfa: true })).statusCode).toBe(200);
    const b = new ConsoleBrowser();
    const first = await b.signIn({ email: 'enrol@example.com', password: PASSWORD });
    expect(first.statusCode).toBe(200);
    const { secondStep, enrolment } = first.json();
    expect(secondStep).toBe('enrol');
    expect(enrolment.uri).toMatch(/^otpauth:\/\/totp\//);
    expect(b.cookies.has('keyhold_console')).toBe(false);
    const done = await b.call('POST', '/session/second-step', { code: totpCode(enrolment.secret) });
    expect(done.statusCode).toBe(200);
    expect(done.json()).toMatchObject({ user: { id: u.id }, account: { id: other.id } });
    expect(done.json().recoveryCodes).toHaveLength(10);
    // The pending sign-in is used up: its cookie finishes nothing again.
    const stale = new ConsoleBrowser();
    stale.cookies.set('keyhold_console_mfa', `khmfa_${'a'.repeat(43)}`);
    expect((await stale.call('POST', '/session/second-step', { code: '123456' })).statusCode).toBe(401);
  });

  it('refuses a disabled user after a right password only', async () => {
    const u = await member('disabled@example.com');
    expect((await api.post(`/users/${u.id}/disable`)).statusCode).toBe(200);
    const wrong = await new ConsoleBrowser().signIn({ email: u.email, password: 'not it at all' });
    expect(wrong.statusCode).toBe(401);
    const right = await new ConsoleBrowser().signIn({ email: u.email, password: PASSWORD });
    expect(right.statusCode).toBe(403);
    expect(right.json().code).toBe('user_disabled');
  });

  it('lets parallel attempts past the throttle no more than its free ones', async () => {
    await member('spray@example.com');
    const b = new ConsoleBrowser();
    const answers = await Promise.all(
      Array.from({ length: 12 }, () => b.signIn({ email: 'spray@example.com', password: 'wrong password!' })),
    );
    const checked = answers.filter((r) => r.statusCode === 401).length;
    const throttled = answers.filter((r) => r.statusCode === 429);
    expect(checked).toBeLessThanOrEqual(5);
    expect(checked + throttled.length).toBe(12);
    expect(Number(throttled[0]?.headers['retry-after'])).toBeGreaterThan(0);
    expect(throttled[0]?.json().code).toBe('too_many_requests');
    // Even the right password now waits.
    expect((await b.signIn({ email: 'spray@example.com', password: PASSWORD })).statusCode).toBe(429);
    // And an unknown email is throttled alike.
    const nobody = await Promise.all(
      Array.from({ length: 12 }, () => b.signIn({ email: 'nobody-spray@example.com', password: 'x' })),
    );
    expect(nobody.filter((r) => r.statusCode === 401).length).toBeLessThanOrEqual(5);
  });
});

describe('the console cookie on the admin API', () => {
  it('acts as its user: a member sees only the vaults given to them', async () => {
    const u = await member('reader@example.com');
    const mine = (await api.post('/vaults', { name: 'Reader vault' })).json();
    const notMine = (await api.post('/vaults', { name: 'Not the reader’s' })).json();
    expect((await api.put(`/users/${u.id}/vaults/${mine.id}`, { permissions: ['read'] })).statusCode).toBe(
      200,
    );
    const b = new ConsoleBrowser();
    await b.signIn({ email: 'reader@example.com', password: PASSWORD });
    const vaults = await b.call('GET', '/vaults');
    expect(vaults.statusCode).toBe(200);
    expect(vaults.json().map((v: { id: string }) => v.id)).toEqual([mine.id]);
    const refused = await b.call('GET', `/vaults/${notMine.id}`);
    expect(refused.statusCode).toBe(403); // decide(): no permission on it, as for a CLI sign-in
    expect(refused.body).not.toContain('Not the reader');
    // A member may not create users, with the cookie as with any credential.
    expect((await b.send('POST', '/users', { email: 'x@example.com', role: 'member' })).statusCode).toBe(403);
  });

  it('refuses a state-changing request without the right CSRF token or from another origin', async () => {
    await member('csrf@example.com', t.token, 'admin');
    const b = new ConsoleBrowser();
    await b.signIn({ email: 'csrf@example.com', password: PASSWORD });
    const body = { name: 'CSRF vault' };
    const none = await b.call('POST', '/vaults', body);
    expect(none.statusCode).toBe(403);
    expect(none.json().code).toBe('csrf_refused');
    const wrongToken = await b.call('POST', '/vaults', body, { 'x-csrf-token': `${b.csrf}x` });
    expect(wrongToken.statusCode).toBe(403);
    expect(wrongToken.json().code).toBe('csrf_refused');
    const foreign = await b.call('POST', '/vaults', body, {
      'x-csrf-token': b.csrf ?? '',
      origin: 'https://evil.example',
    });
    expect(foreign.statusCode).toBe(403);
    expect(foreign.json().code).toBe('csrf_refused');
    expect((await api.get('/vaults')).json().map((v: { name: string }) => v.name)).not.toContain(
      'CSRF vault',
    );
    // Without Origin (some clients send none) the token alone is enough.
    const right = await b.call('POST', '/vaults', body, { 'x-csrf-token': b.csrf ?? '' });
    expect(right.statusCode).toBe(201);
    const withOrigin = await b.send('POST', '/vaults', { name: 'CSRF vault 2' });
    expect(withOrigin.statusCode).toBe(201);
    // Sign-out is state-changing too.
    expect((await b.call('DELETE', '/session')).statusCode).toBe(403);
  });

  it('lets a bearer token win over the cookie, unchanged', async () => {
    await member('both@example.com');
    const b = new ConsoleBrowser();
    await b.signIn({ email: 'both@example.com', password: PASSWORD });
    const res = await b.call(
      'POST',
      '/vaults',
      { name: 'Bearer vault' },
      { authorization: `Bearer ${t.token}` },
    );
    expect(res.statusCode).toBe(201); // the owner's token, no CSRF token needed
    const bad = await b.call('GET', '/vaults', undefined, { authorization: 'Bearer khadm_nonsense' });
    expect(bad.statusCode).toBe(401);
    expect(bad.json().code).toBe('unauthorized');
    const missing = await t.app.inject({ method: 'GET', url: '/api/admin/vaults' });
    expect(missing.json().message).toMatch(/Missing bearer token/);
  });

  it('answers an expired session with session_expired, an unknown cookie with unauthorized', async () => {
    const u = await member('expired@example.com');
    const user = await t.storage.users.get(t.accountId, u.id);
    if (!user) throw new Error('no user');
    const secret = newBearerSecret('khss');
    await t.storage.loginSessions.insert({
      id: newId(),
      secretHash: hashSecret(secret),
      accountId: t.accountId,
      userId: u.id,
      csrfToken: newBearerSecret('csrf'),
      createdAt: new Date(Date.now() - 9 * 3600_000).toISOString(),
      expiresAt: new Date(Date.now() - 3600_000).toISOString(),
    });
    const b = new ConsoleBrowser();
    b.cookies.set('keyhold_console', secret);
    for (const url of ['/session', '/vaults', '/session']) {
      const res = await b.call('GET', url);
      expect(res.statusCode).toBe(401);
      expect(res.json().code).toBe('session_expired');
    }
    b.cookies.set('keyhold_console', newBearerSecret('khss'));
    const unknown = await b.call('GET', '/vaults');
    expect(unknown.statusCode).toBe(401);
    expect(unknown.json().code).toBe('unauthorized');
  });

  it('refuses the session of a user disabled since', async () => {
    const u = await member('later-disabled@example.com');
    const b = new ConsoleBrowser();
    await b.signIn({ email: u.email, password: PASSWORD });
    expect((await b.call('GET', '/vaults')).statusCode).toBe(200);
    expect((await api.post(`/users/${u.id}/disable`)).statusCode).toBe(200);
    const res = await b.call('GET', '/vaults');
    expect(res.statusCode).toBe(401);
    expect((await b.call('GET', '/session')).statusCode).toBe(401);
  });

  it('signs out: the session is deleted, the cookie cleared and refused after; both audited', async () => {
    const u = await member('leaving@example.com');
    const b = new ConsoleBrowser();
    expect((await b.signIn({ email: 'leaving@example.com', password: 'not it at all' })).statusCode).toBe(
      401,
    );
    await b.signIn({ email: 'leaving@example.com', password: PASSWORD });
    const secret = b.cookies.get('keyhold_console') as string;
    const out = await b.send('DELETE', '/session');
    expect(out.statusCode).toBe(204);
    expect(b.setCookies.at(-1)).toMatch(/^keyhold_console=;.*Max-Age=0/);
    expect(await t.storage.loginSessions.findByHash(hashSecret(secret))).toBeUndefined();
    b.cookies.set('keyhold_console', secret);
    const after = await b.call('GET', '/vaults');
    expect(after.statusCode).toBe(401);
    expect(after.json().code).toBe('unauthorized');
    const events = (await api.get(`/audit?actor=${u.id}&resourceType=LOGIN_SESSION&limit=10`)).json();
    expect(events.map((e: { action: string; result: string }) => `${e.action} ${e.result}`)).toEqual([
      'DELETE SUCCESS',
      'CREATE SUCCESS',
      'CREATE DENY',
    ]);
    expect(events[0].resourceId).toBe(events[1].resourceId);
    expect(events[0].ip).toBe(b.remoteAddress);
  });

  it('changes the user’s own password with the current one, and enrols a second factor', async () => {
    await member('changer@example.com');
    const b = new ConsoleBrowser();
    await b.signIn({ email: 'changer@example.com', password: PASSWORD });
    const wrong = await b.send('POST', '/session/password', {
      current: 'not it at all',
      next: 'a new long password',
    });
    expect(wrong.statusCode).toBe(401);
    expect(wrong.json().code).toBe('invalid_credentials');
    const noCsrf = await b.call('POST', '/session/password', {
      current: PASSWORD,
      next: 'a new long password',
    });
    expect(noCsrf.statusCode).toBe(403);
    const ok = await b.send('POST', '/session/password', { current: PASSWORD, next: 'a new long password' });
    expect(ok.statusCode).toBe(200);
    expect((await b.call('GET', '/session')).statusCode).toBe(200); // this session stays
    const again = await new ConsoleBrowser().signIn({
      email: 'changer@example.com',
      password: 'a new long password',
    });
    expect(again.statusCode).toBe(200);

    expect((await b.call('GET', '/session/mfa')).json()).toMatchObject({ enabled: false });
    const enrolment = await b.send('POST', '/session/mfa/enrolment');
    expect(enrolment.statusCode).toBe(200);
    const { secret, uri } = enrolment.json();
    expect(uri).toMatch(/^otpauth:\/\/totp\//);
    const on = await b.send('POST', '/session/mfa/enable', { code: totpCode(secret) });
    expect(on.statusCode).toBe(200);
    expect(on.json().recoveryCodes).toHaveLength(10);
    expect((await b.call('GET', '/session/mfa')).json()).toMatchObject({ enabled: true });
    const next = await new ConsoleBrowser().signIn({
      email: 'changer@example.com',
      password: 'a new long password',
    });
    expect(next.json()).toEqual({ secondStep: 'verify' });
  });

  it('never puts the password or the session secret in an error body', async () => {
    await member('secretive@example.com');
    const b = new ConsoleBrowser();
    const password = 'Pa55-word-that-must-not-echo';
    const bodies: string[] = [];
    bodies.push((await b.signIn({ email: 'secretive@example.com', password })).body);
    bodies.push((await b.signIn({ email: 'secretive@example.com', password, extra: 'x' })).body);
    bodies.push((await b.call('POST', '/session', { email: 'secretive@example.com', password: 42 })).body);
    await b.signIn({ email: 'secretive@example.com', password: PASSWORD });
    const secret = b.cookies.get('keyhold_console') as string;
    bodies.push((await b.call('POST', '/vaults', { name: 'x' })).body);
    bodies.push((await b.call('POST', '/session/password', { current: password, next: 'short' })).body);
    bodies.push(
      (await b.send('POST', '/session/password', { current: password, next: 'long enough new one' })).body,
    );
    b.cookies.set('keyhold_console', `${secret}x`);
    bodies.push((await b.call('GET', '/vaults')).body);
    for (const body of bodies) {
      expect(body).not.toContain(password);
      expect(body).not.toContain(secret);
      expect(body).not.toContain(PASSWORD);
    }
  });
});
