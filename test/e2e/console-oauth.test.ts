import { createHash, randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  checkPage,
  launchConsoleBrowser,
  newRecord,
  cspContext as recordingContext,
  signIn,
  undocumentedCalls,
  waitForHeading,
} from '../helpers/console-browser.js';
import { formBody, type OAuthFixture, startOAuthFixture } from '../helpers/oauth.js';

/**
 * The console's OAuth section and "Connected applications" in a real browser (Debian's chromium)
 * against a real service: an admin registers a resource server and a client in the console (the
 * secret shown once, then rotated), the scope check links each finding to where it is fixed; a
 * member runs an authorization-code flow in the browser, grants the client one vault of two on
 * the consent page, finds the grant in Connected applications and revokes it there, after which
 * the client's refresh token is refused and introspection calls its access token inactive. Every
 * page (the console's and the server-rendered sign-in, consent and grants pages) runs axe-core in
 * light and dark, is checked for overflow at 375 px and photographed into docs/console/.
 */
const MEMBER = { email: 'reader@example.com', password: 'reader password of some length' };
const CLIENT_NAME = 'Notes sync';

let f: OAuthFixture;
let browser: Browser;
let personal: { id: string };
let work: { id: string };
const record = newRecord();

/** The third-party application: its callback page records what reaches it. */
let app: Server;
let redirectUri = '';
const callbacks: URLSearchParams[] = [];

/** What the console made: the client's id and its secret (after rotation). */
const client = { clientId: '', clientSecret: '', firstSecret: '' };
let serverId = '';

beforeAll(async () => {
  app = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://app.invalid');
    if (url.pathname === '/callback') callbacks.push(url.searchParams);
    response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    response.end(
      '<!doctype html><html lang="en"><title>Notes sync</title><main><p id="app">callback received</p></main>',
    );
  });
  await new Promise<void>((resolve) => app.listen(0, '127.0.0.1', resolve));
  redirectUri = `http://127.0.0.1:${(app.address() as AddressInfo).port}/callback`;

  f = await startOAuthFixture();
  personal = await f.admin('POST', '/vaults', { name: 'Personal' });
  work = await f.admin('POST', '/vaults', { name: 'Work' });
  const user = await f.admin<{ id: string }>('POST', '/users', { ...MEMBER, role: 'member' });
  for (const v of [personal, work]) {
    await f.admin('PUT', `/users/${user.id}/vaults/${v.id}`, { permissions: ['read', 'write'] });
  }
  browser = await launchConsoleBrowser();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  if (app) await new Promise<void>((resolve) => app.close(() => resolve()));
  await f?.close();
});

const cspContext = () => recordingContext(browser, record);

const verifier = randomBytes(32).toString('base64url');
const authorizeUrl = (state: string) =>
  `${f.issuer}/authorize?${new URLSearchParams({
    response_type: 'code',
    client_id: client.clientId,
    redirect_uri: redirectUri,
    scope: 'vault:read',
    state,
    code_challenge: createHash('sha256').update(verifier).digest('base64url'),
    code_challenge_method: 'S256',
  })}`;

const basic = (secret = client.clientSecret) =>
  `Basic ${Buffer.from(`${client.clientId}:${secret}`).toString('base64')}`;

const oauthPost = async (path: string, form: Record<string, string>, secret?: string) => {
  const response = await fetch(`${f.issuer}/${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic(secret) },
    body: formBody(form),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
};

/** Signs in on the sign-in page the authorization request leads to, and waits for the consent page. */
async function signInToConsent(page: Page, state: string) {
  await page.goto(authorizeUrl(state));
  await waitForHeading(page, 'Sign in');
  await page.getByLabel('Email').fill(MEMBER.email);
  await page.getByLabel('Password').fill(MEMBER.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await waitForHeading(page, `Allow ${CLIENT_NAME}?`);
}

/** On the consent page: Personal only, then Allow; resolves to the code the app received. */
async function allowPersonalOnly(page: Page): Promise<string> {
  await page.getByRole('checkbox', { name: 'Work', exact: true }).uncheck();
  expect(await page.getByRole('checkbox', { name: 'Personal', exact: true }).isChecked()).toBe(true);
  await page.getByRole('button', { name: 'Allow selected' }).click();
  await page.waitForURL(`${redirectUri}?**`);
  return callbacks.at(-1)?.get('code') ?? '';
}

describe('OAuth in the console', () => {
  let context: BrowserContext;
  let page: Page;

  it('an admin registers a resource server with its scopes; its secret is shown once', async () => {
    context = await cspContext();
    page = await context.newPage();
    await signIn(page, f.url, f.ownerEmail, f.ownerPassword);
    await page.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name: 'OAuth' }).click();
    await waitForHeading(page, 'OAuth');
    expect(await page.locator('main .cards').textContent()).toContain('Keyhold vault API');
    await page.getByRole('link', { name: 'New resource server' }).click();
    await waitForHeading(page, 'New resource server');
    await page.getByLabel('Identifier (the API’s URI)').fill('https://reports.example.com');
    await page.getByLabel('Name shown on the consent page').fill('Reports');
    await page.getByLabel('Scope 1 name').fill('reports:read');
    await page.getByLabel('Scope 1 description').fill('Read your reports');
    await page.getByRole('button', { name: 'Add a scope' }).click();
    await page.getByLabel('Scope 2 name').fill('reports:export');
    await page.getByLabel('Scope 2 description').fill('Export every report');
    await page.getByLabel('Exclusive: only clients registered with it may ask for scope 2').check();
    await page.getByRole('button', { name: 'Register resource server' }).click();
    await waitForHeading(page, 'Reports is registered');
    expect(await page.getByLabel('Introspection secret').inputValue()).toMatch(/^khrs_/);
    const servers = await f.admin<Array<{ id: string | null; name: string; scopes: unknown[] }>>(
      'GET',
      '/resource-servers',
    );
    const reports = servers.find((s) => s.name === 'Reports');
    expect(reports?.scopes).toHaveLength(2);
    serverId = reports?.id ?? '';
  });

  it('registers a client (the secret shown once), rotates its secret, and the old one is refused', async () => {
    await page.getByRole('link', { name: 'OAuth', exact: true }).first().click();
    await page.getByRole('navigation', { name: 'OAuth' }).getByRole('link', { name: 'Clients' }).click();
    await waitForHeading(page, 'OAuth clients');
    await page.getByRole('link', { name: 'New client' }).click();
    await waitForHeading(page, 'New client');
    await page.getByLabel('Name (shown to people on the consent page)').fill(CLIENT_NAME);
    await page.getByLabel('Redirect URIs (one per line)').fill(redirectUri);
    await page.getByRole('checkbox', { name: 'vault:read Read the items in your vaults' }).check();
    await page.getByRole('button', { name: 'Register client' }).click();
    await waitForHeading(page, `${CLIENT_NAME} is registered`);
    client.clientId = (await page.locator('dd.value').first().textContent())?.trim() ?? '';
    client.firstSecret = await page.getByLabel('Client secret').inputValue();
    expect(client.clientId).toMatch(/^kc-[a-z0-9]{26}$/);
    expect(client.firstSecret).toMatch(/^khcs_/);
    await page.getByRole('button', { name: 'Copy client secret' }).click();
    await expect.poll(() => page.evaluate<string>('navigator.clipboard.readText()')).toBe(client.firstSecret);

    await page.getByRole('link', { name: `Go to ${CLIENT_NAME}` }).click();
    await waitForHeading(page, CLIENT_NAME);
    expect(await page.content()).not.toContain(client.firstSecret);
    await page.getByRole('button', { name: `Rotate the secret of ${CLIENT_NAME}` }).click();
    await page.getByRole('button', { name: `Confirm: rotate the secret of ${CLIENT_NAME}` }).click();
    const fresh = page.getByLabel('New client secret');
    await fresh.waitFor();
    client.clientSecret = await fresh.inputValue();
    expect(client.clientSecret).toMatch(/^khcs_/);
    expect(client.clientSecret).not.toBe(client.firstSecret);
    // The old secret no longer authenticates the client; the new one does.
    const old = await oauthPost('introspect', { token: 'x' }, client.firstSecret);
    expect(old.status).toBe(401);
    expect((await oauthPost('introspect', { token: 'x' })).body).toEqual({ active: false });
  });

  it('the scope check lists its findings, each linking to the page where it is fixed', async () => {
    await page.getByRole('link', { name: 'Clients' }).click();
    await page.getByRole('navigation', { name: 'OAuth' }).getByRole('link', { name: 'Scope check' }).click();
    await waitForHeading(page, 'Scope check');
    const finding = page.locator('.findings > li', { hasText: 'exclusive_scope_unused' });
    await finding.waitFor();
    expect(await finding.textContent()).toContain('reports:export');
    await finding.getByRole('link', { name: 'Fix in resource server Reports' }).click();
    await waitForHeading(page, 'Reports');
    expect(page.url()).toContain(`#/oauth/resource-servers/${serverId}`);
    await context.close();
  });

  let tokens: { access_token: string; refresh_token: string; scope: string };

  it('a member grants the client one vault on the consent page, which names the app, its host and what read includes', async () => {
    const member = await cspContext();
    const tab = await member.newPage();
    await signInToConsent(tab, 'first');
    const text = (await tab.locator('main').textContent()) ?? '';
    expect(text).toContain(
      `${CLIENT_NAME} asks for access to Keyhold vault API on behalf of ${MEMBER.email}`,
    );
    expect(text).toContain(`you go back to ${new URL(redirectUri).host}`);
    expect(text).toContain('Read includes passwords and other secret values.');
    expect(text).toContain('keys that last 1 hour');
    expect(await tab.getByRole('button', { name: 'Allow selected' }).getAttribute('class')).toBe('primary');
    const code = await allowPersonalOnly(tab);
    const exchanged = await oauthPost('token', {
      grant_type: 'authorization_code',
      code,
      redirect_uri: redirectUri,
      code_verifier: verifier,
    });
    expect(exchanged.status).toBe(200);
    tokens = exchanged.body as typeof tokens;
    expect(tokens.scope).toBe(`vault:${personal.id}:read`);
    expect((await oauthPost('introspect', { token: tokens.access_token })).body.active).toBe(true);
    await member.close();
  });

  it('an admin sees the grant among the users’ grants', async () => {
    const admin = await cspContext();
    const tab = await admin.newPage();
    await signIn(tab, f.url, f.ownerEmail, f.ownerPassword);
    await tab.goto(`${f.url}/console/#/oauth/grants`);
    await waitForHeading(tab, 'Users’ grants');
    const card = tab.locator('.cards > li', { hasText: CLIENT_NAME });
    await card.waitFor();
    expect(await card.textContent()).toContain(MEMBER.email);
    expect(await card.textContent()).toContain(`vault:${personal.id}:read`);
    expect(
      await card.getByRole('button', { name: `Revoke ${MEMBER.email}’s grant to ${CLIENT_NAME}` }).count(),
    ).toBe(1);
    await admin.close();
  });

  it('the member finds it in Connected applications, in words, and revokes it: the tokens die', async () => {
    const member = await cspContext();
    const tab = await member.newPage();
    await signIn(tab, f.url, MEMBER.email, MEMBER.password);
    // A member has no OAuth section, but has Connected applications.
    const sections = tab.getByRole('navigation', { name: 'Sections' });
    expect(await sections.getByRole('link', { name: 'OAuth' }).count()).toBe(0);
    await sections.getByRole('link', { name: 'Connected applications' }).click();
    await waitForHeading(tab, 'Connected applications');
    const card = tab.locator('.cards > li', { hasText: CLIENT_NAME });
    await card.waitFor();
    const text = (await card.textContent()) ?? '';
    expect(text).toContain('Read the items in Personal (read includes passwords and other secret values)');
    expect(text).not.toContain('Work');
    expect(text).toMatch(/Granted .+\. Last used .+\./);

    // The refresh token works before the revocation.
    const refreshed = await oauthPost('token', {
      grant_type: 'refresh_token',
      refresh_token: tokens.refresh_token,
    });
    expect(refreshed.status).toBe(200);
    const rotated = refreshed.body as typeof tokens;

    await card.getByRole('button', { name: `Revoke ${CLIENT_NAME}` }).click();
    await expect
      .poll(() => tab.getByRole('status').textContent())
      .toBe(`${CLIENT_NAME} no longer has access; its tokens no longer work.`);
    await tab.getByText('You have not given any application access.').waitFor();

    const refused = await oauthPost('token', {
      grant_type: 'refresh_token',
      refresh_token: rotated.refresh_token,
    });
    expect(refused.status).toBe(400);
    expect(refused.body.error).toBe('invalid_grant');
    for (const token of [tokens.access_token, rotated.access_token]) {
      expect((await oauthPost('introspect', { token })).body).toEqual({ active: false });
    }
    await member.close();
  });

  it('every page passes axe-core in light and dark, fits 375 px, and is photographed', async () => {
    // Only for axe, which is injected as a script: the CSP is bypassed in this context alone.
    const context = await browser.newContext({ bypassCSP: true, viewport: { width: 1280, height: 800 } });
    const tab = await context.newPage();
    const check = (name: string) => checkPage(tab, name);

    // The server-rendered pages: sign-in, consent, grants.
    await tab.goto(authorizeUrl('shots'));
    await waitForHeading(tab, 'Sign in');
    await check('oauth-page-sign-in');
    await tab.getByLabel('Email').fill(MEMBER.email);
    await tab.getByLabel('Password').fill(MEMBER.password);
    await tab.getByRole('button', { name: 'Sign in' }).click();
    await waitForHeading(tab, `Allow ${CLIENT_NAME}?`);
    await check('oauth-page-consent');
    await allowPersonalOnly(tab);
    await tab.goto(`${f.issuer}/grants`);
    await waitForHeading(tab, 'Your grants');
    expect(await tab.getByRole('button', { name: `Revoke ${CLIENT_NAME}` }).count()).toBe(1);
    await check('oauth-page-grants');
    // The other pages of the same frame, reached from the grants page.
    await tab.goto(`${f.issuer}/password`);
    await waitForHeading(tab, 'Change your password');
    await check('oauth-page-password');
    await tab.goto(`${f.issuer}/mfa`);
    await tab.locator('h1').waitFor();
    await check('oauth-page-mfa');
    await tab.goto(`${f.issuer}/device`);
    await tab.locator('h1').waitFor();
    await check('oauth-page-device');

    // The member's Connected applications, with the grant just made.
    await signIn(tab, f.url, MEMBER.email, MEMBER.password);
    // Reached as a person does, by the section's link (the earlier test does the same): going to
    // `#/connected` with goto right after the sign-in twice timed out in CI waiting for the page.
    await tab
      .getByRole('navigation', { name: 'Sections' })
      .getByRole('link', { name: 'Connected applications' })
      .click();
    await waitForHeading(tab, 'Connected applications');
    await tab.locator('.cards > li', { hasText: CLIENT_NAME }).waitFor();
    await check('connected-apps');
    await tab.getByRole('button', { name: 'Sign out' }).click();
    await waitForHeading(tab, 'Sign in');

    // The admin's OAuth pages.
    await signIn(tab, f.url, f.ownerEmail, f.ownerPassword);
    const visit = async (path: string, heading: string, name: string) => {
      await tab.goto(`${f.url}/console/#${path}`);
      await waitForHeading(tab, heading);
      await tab.locator('main p[role="status"].muted').waitFor({ state: 'detached' });
      await check(name);
    };
    await visit('/oauth', 'OAuth', 'oauth-resource-servers');
    await visit('/oauth/resource-servers/new', 'New resource server', 'oauth-resource-server-new');
    await visit(`/oauth/resource-servers/${serverId}`, 'Reports', 'oauth-resource-server');
    await visit('/oauth/clients', 'OAuth clients', 'oauth-clients');
    await visit('/oauth/clients/new', 'New client', 'oauth-client-new');
    await visit(`/oauth/clients/${client.clientId}`, CLIENT_NAME, 'oauth-client');
    await visit('/oauth/check', 'Scope check', 'oauth-check');
    await visit('/oauth/grants', 'Users’ grants', 'oauth-grants');

    // A client just registered: its secret, shown once.
    await tab.goto(`${f.url}/console/#/oauth/clients/new`);
    await waitForHeading(tab, 'New client');
    await tab.getByLabel('Name (shown to people on the consent page)').fill('Reporting job');
    await tab.getByLabel('Other scopes (separated by spaces)').fill('reports:read');
    await tab.getByRole('button', { name: 'Register client' }).click();
    await waitForHeading(tab, 'Reporting job is registered');
    await check('oauth-client-created');
    await context.close();
  }, 240_000);

  it('an admin revokes a member’s grant from the users’ grants page', async () => {
    // The screenshots above left the member's second grant in place.
    const before = await f.admin<Array<{ id: string; clientName: string }>>('GET', '/grants');
    expect(before.map((g) => g.clientName)).toEqual([CLIENT_NAME]);
    const admin = await cspContext();
    const tab = await admin.newPage();
    await signIn(tab, f.url, f.ownerEmail, f.ownerPassword);
    await tab.goto(`${f.url}/console/#/oauth/grants`);
    await waitForHeading(tab, 'Users’ grants');
    await tab.getByRole('button', { name: `Revoke ${MEMBER.email}’s grant to ${CLIENT_NAME}` }).click();
    await tab.getByText('Nobody has given an application access.').waitFor();
    expect(await tab.getByRole('status').textContent()).toBe(
      `${MEMBER.email}’s grant to ${CLIENT_NAME} is revoked; its tokens no longer work.`,
    );
    expect(await f.admin('GET', '/grants')).toEqual([]);
    await admin.close();
  });

  it('no page reported a CSP violation, and every API call the console made is documented', async () => {
    expect(record.violations).toEqual([]);
    for (const call of [
      'POST /api/admin/clients',
      'GET /api/admin/grants/mine',
      'GET /api/admin/scopes/check',
    ])
      expect(record.apiCalls).toContain(call);
    expect(await undocumentedCalls(f.url, record.apiCalls)).toEqual([]);
  });
});
