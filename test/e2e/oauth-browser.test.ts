import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser, BrowserContext, Page, Response } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../helpers/browser-client.js';
import { formBody, type OAuthFixture, startOAuthFixture } from '../helpers/oauth.js';

/**
 * The story of issue 4 in a real browser (Debian's chromium through playwright-core): a user
 * signs in, approves one of two vaults on the consent page, the application reads that vault and
 * gets 403 on the other; asked again, the page marks what is granted; the user revokes the grant
 * on the grants page and the tokens die. The
 * pages carry their anti-framing headers and a cross-origin page cannot frame them.
 */
const USER = { email: 'reader@example.com', password: 'reader password of some length' };
const CLIENT_NAME = 'Browser test app';

let f: OAuthFixture;
let personal: { id: string };
let work: { id: string };
let personalItem: { id: string };
let client: { clientId: string; clientSecret: string };

/** The third-party application: records what reaches its callback, and serves a framing page. */
let app: Server;
let appUrl = '';
let redirectUri = '';
const callbacks: { query: URLSearchParams; headers: IncomingHttpHeaders }[] = [];
let framingPage = '';

let browser: Browser;
let context: BrowserContext;
let page: Page;
/** Every response to a top-level navigation of `page`, redirects included. */
const navigations: Response[] = [];

const verifier = randomBytes(32).toString('base64url');
const state = randomBytes(16).toString('base64url');
let callback: URLSearchParams;
let tokens: { access_token: string; refresh_token: string; scope: string };

beforeAll(async () => {
  app = createServer((request, response) => {
    const url = new URL(request.url ?? '/', appUrl);
    if (url.pathname === '/callback') {
      callbacks.push({ query: url.searchParams, headers: request.headers });
      response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      response.end('<!doctype html><title>App</title><p id="app">callback received</p>');
    } else if (url.pathname === '/frame') {
      response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      response.end(framingPage);
    } else if (url.pathname === '/plain') {
      response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      response.end('<!doctype html><title>Plain</title><form><p>framable</p></form>');
    } else {
      response.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => app.listen(0, '127.0.0.1', resolve));
  appUrl = `http://127.0.0.1:${(app.address() as AddressInfo).port}`;
  redirectUri = `${appUrl}/callback`;

  f = await startOAuthFixture();
  personal = await f.admin('POST', '/vaults', { name: 'Personal' });
  work = await f.admin('POST', '/vaults', { name: 'Work' });
  const user = await f.admin<{ id: string }>('POST', '/users', { ...USER, role: 'member' });
  for (const v of [personal, work]) {
    await f.admin('PUT', `/users/${user.id}/vaults/${v.id}`, { permissions: ['read'] });
  }
  personalItem = await f.admin('POST', `/vaults/${personal.id}/items`, {
    category: 'LOGIN',
    title: 'Bank',
    fields: [{ id: 'password', type: 'CONCEALED', purpose: 'PASSWORD', value: 'personal-secret-1' }],
  });
  await f.admin('POST', `/vaults/${work.id}/items`, {
    category: 'LOGIN',
    title: 'VPN',
    fields: [{ id: 'password', type: 'CONCEALED', purpose: 'PASSWORD', value: 'work-secret-2' }],
  });
  client = await f.admin('POST', '/clients', {
    name: CLIENT_NAME,
    redirectUris: [redirectUri],
    scopes: ['vault:read'],
  });

  browser = await launchChromium();
  context = await browser.newContext();
  page = await context.newPage();
  page.setDefaultTimeout(10_000);
  page.on('response', (response) => {
    if (response.request().isNavigationRequest() && response.frame() === page.mainFrame()) {
      navigations.push(response);
    }
  });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  if (app) await new Promise<void>((resolve) => app.close(() => resolve()));
  await f?.close();
});

const authorizeUrl = (s: string, extra: Record<string, string> = {}) =>
  `${f.issuer}/authorize?${new URLSearchParams({
    response_type: 'code',
    client_id: client.clientId,
    redirect_uri: redirectUri,
    scope: 'vault:read',
    state: s,
    code_challenge: createHash('sha256').update(verifier).digest('base64url'),
    code_challenge_method: 'S256',
    ...extra,
  })}`;

const basicAuth = () =>
  `Basic ${Buffer.from(`${client.clientId}:${client.clientSecret}`).toString('base64')}`;

const token = (form: Record<string, string>) =>
  fetch(`${f.issuer}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basicAuth() },
    body: formBody(form),
  });

const api = (accessToken: string, path: string) =>
  fetch(`${f.url}/api/v1${path}`, { headers: { authorization: `Bearer ${accessToken}` } });

/** The last 200 navigation response of a Keyhold page whose path ends with `suffix`. */
function pageResponse(suffix: string): Response {
  const found = navigations.findLast(
    (r) => r.status() === 200 && new URL(r.url()).pathname === `${new URL(f.issuer).pathname}${suffix}`,
  );
  if (!found) throw new Error(`no page ${suffix} among ${navigations.map((r) => r.url()).join(', ')}`);
  return found;
}

async function expectAntiFramingHeaders(response: Response) {
  const headers = await response.allHeaders();
  expect(headers['x-frame-options']).toBe('DENY');
  expect(headers['content-security-policy']).toMatch(/(^|;)\s*frame-ancestors 'none'\s*(;|$)/);
  expect(headers['referrer-policy']).toBe('no-referrer');
}

describe('the OAuth story in a real browser', () => {
  it('signs in, approves only Personal on the consent page, and lands on the app with code, state and iss', async () => {
    await page.goto(authorizeUrl(state));
    expect(new URL(page.url()).pathname).toBe(`${new URL(f.issuer).pathname}/login`);
    await page.getByLabel('Email').fill(USER.email);
    await page.getByLabel('Password').fill(USER.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL((url) => url.pathname.endsWith('/authorize'));

    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe(`Allow ${CLIENT_NAME}?`);
    const boxes = page.getByRole('checkbox');
    expect(await boxes.count()).toBe(2);
    const personalBox = page.getByRole('checkbox', { name: 'Personal', exact: true });
    const workBox = page.getByRole('checkbox', { name: 'Work', exact: true });
    expect(await personalBox.isChecked()).toBe(true);
    expect(await workBox.isChecked()).toBe(true);
    await workBox.uncheck();
    expect(await workBox.isChecked()).toBe(false);
    await page.getByRole('button', { name: 'Allow selected' }).click();
    await page.waitForURL(`${redirectUri}?**`);
    expect(await page.locator('#app').textContent()).toBe('callback received');

    expect(callbacks).toHaveLength(1);
    const received = callbacks[0];
    callback = received?.query ?? new URLSearchParams();
    expect(callback.get('code')).toMatch(/.{16,}/);
    expect(callback.get('state')).toBe(state);
    expect(callback.get('iss')).toBe(f.issuer);
    expect(callback.has('error')).toBe(false);
    // Referrer-Policy: no-referrer on the consent page: nothing of it leaks to the app.
    expect(received?.headers.referer).toBeUndefined();

    await expectAntiFramingHeaders(pageResponse('/login'));
    await expectAntiFramingHeaders(pageResponse('/authorize'));
  });

  it('the app exchanges the code and reads the approved vault, and gets 403 on the other', async () => {
    const response = await token({
      grant_type: 'authorization_code',
      code: callback.get('code') ?? '',
      redirect_uri: redirectUri,
      code_verifier: verifier,
    });
    expect(response.status).toBe(200);
    tokens = (await response.json()) as typeof tokens;
    expect(tokens.scope).toBe(`vault:${personal.id}:read`);
    expect(tokens.refresh_token).toBeTruthy();

    const item = await api(tokens.access_token, `/vaults/${personal.id}/items/${personalItem.id}`);
    expect(item.status).toBe(200);
    const full = (await item.json()) as { fields: { id: string; value?: string }[] };
    expect(full.fields.find((x) => x.id === 'password')?.value).toBe('personal-secret-1');

    expect((await api(tokens.access_token, `/vaults/${work.id}/items`)).status).toBe(403);
    const vaults = (await (await api(tokens.access_token, '/vaults')).json()) as { name: string }[];
    expect(vaults.map((v) => v.name)).toEqual(['Personal']);
  });

  it('asked again (prompt=consent), the page marks Personal as granted and ticks only it; Deny changes nothing', async () => {
    await page.goto(authorizeUrl('again', { prompt: 'consent' }));
    expect(await page.getByRole('checkbox').count()).toBe(2);
    const personalBox = page.getByRole('checkbox', { name: 'Personal (already granted)', exact: true });
    const workBox = page.getByRole('checkbox', { name: 'Work', exact: true });
    expect(await personalBox.isChecked()).toBe(true);
    expect(await workBox.isChecked()).toBe(false);
    expect(await page.getByText('What you allow now replaces it').count()).toBe(1);
    await page.getByRole('button', { name: 'Deny' }).click();
    await page.waitForURL(`${redirectUri}?**`);
    expect(callbacks.at(-1)?.query.get('error')).toBe('access_denied');
    // Denying a new request leaves what was granted before: the token still reads Personal.
    expect((await api(tokens.access_token, `/vaults/${personal.id}/items`)).status).toBe(200);
  });

  it('revoking on the grants page kills the access and refresh tokens at once', async () => {
    // The refresh token works before the revocation (and rotates): its successor must die too.
    const refreshed = await token({ grant_type: 'refresh_token', refresh_token: tokens.refresh_token });
    expect(refreshed.status).toBe(200);
    const rotated = (await refreshed.json()) as typeof tokens;
    expect((await api(rotated.access_token, `/vaults/${personal.id}/items`)).status).toBe(200);

    await page.goto(`${f.issuer}/grants`);
    await expectAntiFramingHeaders(pageResponse('/grants'));
    const rows = page.locator('tbody tr');
    expect(await rows.count()).toBe(1);
    const row = (await rows.first().textContent()) ?? '';
    expect(row).toContain(CLIENT_NAME);
    expect(row).toContain('Personal');
    expect(row).not.toContain('Work');

    await rows.first().getByRole('button', { name: 'Revoke' }).click();
    await page.waitForURL((url) => url.pathname.endsWith('/grants') && url.searchParams.has('revoked'));
    expect(await page.getByRole('status').textContent()).toBe(
      'The grant is revoked; its tokens no longer work.',
    );
    expect(await page.locator('tbody tr').count()).toBe(0);
    expect(await page.getByText('You have not given any application access.').count()).toBe(1);

    for (const accessToken of [tokens.access_token, rotated.access_token]) {
      const dead = await api(accessToken, `/vaults/${personal.id}/items/${personalItem.id}`);
      expect(dead.status).toBe(401);
      expect(dead.headers.get('www-authenticate')).toContain('invalid_token');
    }
    const refresh = await token({ grant_type: 'refresh_token', refresh_token: rotated.refresh_token });
    expect(refresh.status).toBe(400);
    expect(((await refresh.json()) as { error: string }).error).toBe('invalid_grant');
  });

  it('a page of another origin cannot frame the consent or sign-in page', async () => {
    // Signed in and with no grant left, this URL would show the consent page if it could be framed.
    framingPage = `<!doctype html><title>Framer</title>
<iframe name="control" src="/plain"></iframe>
<iframe name="consent" src="${authorizeUrl('framed').replace(/&/g, '&amp;')}"></iframe>`;
    const signedOut = await browser.newContext();
    try {
      const tabs = [await context.newPage(), await signedOut.newPage()];
      const [signedIn, anonymous] = tabs;
      if (!signedIn || !anonymous) throw new Error('no pages');
      // The same URL in a signed-out browser frames the sign-in page.
      for (const tab of tabs) {
        const refused: string[] = [];
        tab.on('console', (m) => {
          if (/frame/i.test(m.text())) refused.push(m.text());
        });
        await tab.goto(`${appUrl}/frame`, { waitUntil: 'load' });
        const control = tab.frame({ name: 'control' });
        const framed = tab.frame({ name: 'consent' });
        // The detection works: a page without the headers does show its form in the frame.
        expect(await control?.locator('form').count()).toBe(1);
        expect(framed).not.toBeNull();
        expect(await framed?.locator('form').count()).toBe(0);
        expect(await framed?.locator('input').count()).toBe(0);
        expect(refused.join('\n')).toMatch(/frame-ancestors|X-Frame-Options/i);
      }
      // Unframed, the very same URL does render the consent page to the signed-in user.
      await signedIn.goto(authorizeUrl('top-level'));
      expect(await signedIn.getByRole('button', { name: 'Allow selected' }).count()).toBe(1);
    } finally {
      await signedOut.close();
    }
  });
});
