import { createHash, randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../helpers/browser-client.js';
import { type OAuthFixture, startOAuthFixture } from '../helpers/oauth.js';
import { nextTotpCode, totpCode } from '../helpers/totp.js';

/**
 * TOTP in a real browser (Debian's chromium through playwright-core) against a real service on a
 * socket: a user enrols on the settings page by reading the key off the page as a person would
 * type it into an app, sees the recovery codes once, signs out; then an application sends them to
 * /authorize, they give the password and a code, and the consent page follows where the sign-in
 * was going. No page loads anything from elsewhere, and the CSP reports no violation.
 */
const USER = { email: 'totp@example.com', password: 'totp user password of some length' };

let f: OAuthFixture;
let app: Server;
let redirectUri = '';
const callbacks: URLSearchParams[] = [];
let client: { clientId: string; clientSecret: string };
let browser: Browser;
let page: Page;
const requested: string[] = [];
const cspViolations: string[] = [];
let secret = '';

beforeAll(async () => {
  app = createServer((request, response) => {
    const url = new URL(request.url ?? '/', redirectUri);
    if (url.pathname === '/callback') callbacks.push(url.searchParams);
    response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    response.end('<!doctype html><title>App</title><p id="app">callback received</p>');
  });
  await new Promise<void>((resolve) => app.listen(0, '127.0.0.1', resolve));
  redirectUri = `http://127.0.0.1:${(app.address() as AddressInfo).port}/callback`;

  f = await startOAuthFixture();
  const vault = await f.admin<{ id: string }>('POST', '/vaults', { name: 'Personal' });
  const user = await f.admin<{ id: string }>('POST', '/users', { ...USER, role: 'member' });
  await f.admin('PUT', `/users/${user.id}/vaults/${vault.id}`, { permissions: ['read'] });
  client = await f.admin('POST', '/clients', {
    name: 'TOTP app',
    redirectUris: [redirectUri],
    scopes: ['vault:read'],
  });

  browser = await launchChromium();
  page = await (await browser.newContext()).newPage();
  page.setDefaultTimeout(10_000);
  page.on('request', (r) => requested.push(r.url()));
  page.on('console', (m) => {
    if (/Content Security Policy/i.test(m.text())) cspViolations.push(m.text());
  });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  if (app) await new Promise<void>((resolve) => app.close(() => resolve()));
  await f?.close();
});

async function signInWithPassword() {
  await page.getByLabel('Email').fill(USER.email);
  await page.getByLabel('Password').fill(USER.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

describe('TOTP in a real browser', () => {
  it('enrols from the key shown on the page and shows ten recovery codes once', async () => {
    await page.goto(`${f.issuer}/login`);
    await signInWithPassword();
    await page.waitForURL((url) => url.pathname.endsWith('/grants'));
    await page.getByRole('link', { name: 'Two-step sign-in' }).click();
    await page.waitForURL((url) => url.pathname.endsWith('/mfa'));
    expect(await page.locator('figure.qr svg').count()).toBe(1);
    expect((await page.locator('figure.qr svg').boundingBox())?.width).toBeGreaterThan(100);
    secret = (await page.locator('#totp-secret').textContent()) ?? '';
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);

    await page.getByLabel('Code from the app').fill(totpCode(secret));
    await page.getByRole('button', { name: 'Turn on' }).click();
    await page.waitForURL((url) => url.pathname.endsWith('/mfa/enable'));
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Your recovery codes');
    expect(await page.locator('ul.codes li').count()).toBe(10);
    await page.getByRole('link', { name: 'Continue' }).click();
    await page.waitForURL((url) => url.pathname.endsWith('/mfa'));
    expect(await page.locator('main').textContent()).toContain('Two-step sign-in is on');
    expect(await page.locator('#totp-secret').count()).toBe(0);

    await page.getByRole('link', { name: 'Back to your grants' }).click();
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL((url) => url.pathname.endsWith('/login'));
  });

  it('signs in through /authorize with the password and a generated code, and continues to consent', async () => {
    const verifier = randomBytes(32).toString('base64url');
    const state = randomBytes(16).toString('base64url');
    await page.goto(
      `${f.issuer}/authorize?${new URLSearchParams({
        response_type: 'code',
        client_id: client.clientId,
        redirect_uri: redirectUri,
        scope: 'vault:read',
        state,
        code_challenge: createHash('sha256').update(verifier).digest('base64url'),
        code_challenge_method: 'S256',
      })}`,
    );
    await signInWithPassword();
    await page.waitForURL((url) => url.pathname.endsWith('/login/mfa'));
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Two-step sign-in');
    const cookies = await page.context().cookies();
    expect(cookies.map((c) => c.name)).not.toContain('keyhold_session');

    // The enrolment used this step's code; the next step's is what the app shows a moment later.
    await page.getByLabel(/6-digit code/).fill(nextTotpCode(secret));
    await page.getByRole('button', { name: 'Verify' }).click();
    await page.waitForURL((url) => url.pathname.endsWith('/authorize'));
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Allow TOTP app?');
    await page.getByRole('button', { name: 'Allow selected' }).click();
    await page.waitForURL(`${redirectUri}?**`);
    expect(callbacks.at(-1)?.get('state')).toBe(state);
    expect(callbacks.at(-1)?.get('code')).toMatch(/.{16,}/);
  });

  it('loaded nothing from anywhere but the service and the app, with no CSP violation', () => {
    const origins = new Set(requested.map((u) => new URL(u).origin));
    expect([...origins].sort()).toEqual([new URL(f.url).origin, new URL(redirectUri).origin].sort());
    expect(cspViolations).toEqual([]);
  });
});
