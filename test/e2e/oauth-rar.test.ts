import * as openid from 'openid-client';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '../../src/crypto/ids.js';
import { clientCalls, launchChromium, startCallbackServer } from '../helpers/browser-client.js';
import { formBody, type OAuthFixture, startOAuthFixture } from '../helpers/oauth.js';
import { discoverClient } from '../helpers/openid-client.js';

/**
 * Rich authorization requests (RFC 9396) end to end: openid-client pushes a request with three
 * `keyhold_vault` details (PAR); in Debian's chromium the user sees each in words, approves one,
 * leaves one unticked, and cannot approve the third, which names a vault they have no access to
 * (the page does not name it). The token is then held to the approved detail at /api/v1: one
 * item readable, the other item and the whole other vault not, no write; introspection and the
 * token response carry the details; a refresh keeps them. The strict validation is black-box.
 */
const TOKEN_EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';
const USER = { email: 'rar@example.com', password: 'rar user password of some length' };

let f: OAuthFixture;
let production: { id: string };
let secretVault: { id: string };
let dbPassword: { id: string };
let apiKey: { id: string };
let hidden: { id: string };
let app: { clientId: string; clientSecret: string };
let callback: Awaited<ReturnType<typeof startCallbackServer>> | undefined;
let redirectUri = '';
let browser: Browser;
let page: Page;
let config: openid.Configuration;
let tokens: openid.TokenEndpointResponse;

const login = (title: string, value: string) => ({
  category: 'LOGIN',
  title,
  fields: [{ id: 'password', type: 'CONCEALED', purpose: 'PASSWORD', value }],
});

beforeAll(async () => {
  callback = await startCallbackServer();
  redirectUri = callback.redirectUri;
  f = await startOAuthFixture();
  production = await f.admin('POST', '/vaults', { name: 'Production' });
  secretVault = await f.admin('POST', '/vaults', { name: 'Board minutes' });
  const user = await f.admin<{ id: string }>('POST', '/users', { ...USER, role: 'member' });
  await f.admin('PUT', `/users/${user.id}/vaults/${production.id}`, { permissions: ['read', 'write'] });
  dbPassword = await f.admin('POST', `/vaults/${production.id}/items`, login('DB password', 'db-secret-1'));
  apiKey = await f.admin('POST', `/vaults/${production.id}/items`, login('API key', 'api-secret-2'));
  hidden = await f.admin('POST', `/vaults/${secretVault.id}/items`, login('Salaries', 'board-secret-3'));
  app = await f.admin('POST', '/clients', {
    name: 'Detail app',
    redirectUris: [redirectUri],
    scopes: ['vault:*:read', 'vault:*:write', 'vault:read'],
    grantTypes: ['authorization_code', 'refresh_token', TOKEN_EXCHANGE],
  });
  await f.admin('POST', '/servers', { name: 'Production node', vaults: [production.id] });
  config = await discoverClient(f.issuer, app, redirectUri);
  browser = await launchChromium();
  page = await (await browser.newContext()).newPage();
  page.setDefaultTimeout(10_000);
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await callback?.close();
  await f?.close();
});

const { post, api } = clientCalls(
  () => f,
  () => app,
);

describe('RAR consent with partial approval in Chromium (openid-client, PAR)', () => {
  const readDbPassword = { type: 'keyhold_vault', vaults: [], items: [], actions: ['read'] };

  it('shows each entry in words, takes one of two approvable entries, and cannot offer the third', async () => {
    readDbPassword.vaults = [production.id] as never;
    readDbPassword.items = [dbPassword.id] as never;
    const details = [
      readDbPassword,
      { type: 'keyhold_vault', vaults: [production.id], actions: ['write'] },
      { type: 'keyhold_vault', vaults: [secretVault.id], items: [hidden.id], actions: ['read'] },
    ];
    const verifier = openid.randomPKCECodeVerifier();
    const state = openid.randomState();
    const url = await openid.buildAuthorizationUrlWithPAR(config, {
      redirect_uri: redirectUri,
      state,
      code_challenge: await openid.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      authorization_details: JSON.stringify(details),
    });
    await page.goto(url.toString());
    await page.getByLabel('Email').fill(USER.email);
    await page.getByLabel('Password').fill(USER.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL((u) => u.pathname.endsWith('/authorize'));

    const read = page.getByRole('checkbox', { name: /^Read the item 'DB password' in vault 'Production'/ });
    const write = page.getByRole('checkbox', {
      name: /^Create, change and delete every item in vault 'Production'$/,
    });
    expect(await page.getByRole('checkbox').count()).toBe(2);
    expect(await read.isChecked()).toBe(true);
    expect(await write.isChecked()).toBe(true);
    // The third names a vault the user has no access to: offered to no one, and not named.
    const body = (await page.locator('body').textContent()) ?? '';
    expect(body).toContain('Access to something you cannot share');
    expect(body).not.toContain('Board minutes');
    expect(body).not.toContain('Salaries');
    await write.uncheck();
    await page.getByRole('button', { name: 'Allow selected' }).click();
    await page.waitForURL(`${redirectUri}?**`);

    tokens = await openid.authorizationCodeGrant(config, new URL(page.url()), {
      pkceCodeVerifier: verifier,
      expectedState: state,
    });
    expect(tokens.authorization_details).toEqual([readDbPassword]);
    expect(tokens.scope).toBe(`vault:${production.id}:read`);
  });

  it('the token reads the approved item only: not the other item, not the other vault, and writes nothing', async () => {
    const token = tokens.access_token;
    const item = await api(token, `/vaults/${production.id}/items/${dbPassword.id}`);
    expect(item.status).toBe(200);
    expect(JSON.stringify(await item.json())).toContain('db-secret-1');
    const other = await api(token, `/vaults/${production.id}/items/${apiKey.id}`);
    expect(other.status).toBe(403);
    expect(JSON.stringify(await other.json())).not.toContain('api-secret-2');
    const list = (await (await api(token, `/vaults/${production.id}/items`)).json()) as { title: string }[];
    expect(list.map((i) => i.title)).toEqual(['DB password']);
    expect((await api(token, `/vaults/${secretVault.id}/items/${hidden.id}`)).status).toBe(403);
    const patched = await api(token, `/vaults/${production.id}/items/${dbPassword.id}`, {
      method: 'PATCH',
      body: JSON.stringify([{ op: 'replace', path: '/title', value: 'changed' }]),
    });
    expect(patched.status).toBe(403);
    const created = await api(token, `/vaults/${production.id}/items`, {
      method: 'POST',
      body: JSON.stringify(login('New', 'x')),
    });
    expect(created.status).toBe(403);
  });

  it('grant management shows the grant as approved: its details beside the scope they stand for', async () => {
    const response = await fetch(`${f.issuer}/grant-management/${String(tokens.grant_id)}`, {
      headers: { authorization: `Bearer ${tokens.access_token}` },
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      scopes: [{ scope: `vault:${production.id}:read`, resource: [expect.any(String)] }],
      authorization_details: [readDbPassword],
    });
  });

  it('an approved item does not stand in for the whole vault: the plain scope is asked for again', async () => {
    await page.goto(
      `${f.issuer}/authorize?${new URLSearchParams({
        response_type: 'code',
        client_id: app.clientId,
        redirect_uri: redirectUri,
        scope: `vault:${production.id}:read`,
        state: 'plain',
        prompt: 'none',
        code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
        code_challenge_method: 'S256',
      })}`,
    );
    await page.waitForURL(`${redirectUri}?**`);
    expect(new URL(page.url()).searchParams.get('error')).toBe('consent_required');
  });

  it('introspection shows the details; a refresh through openid-client keeps them', async () => {
    const introspected = (await (await post('/introspect', { token: tokens.access_token })).json()) as Record<
      string,
      unknown
    >;
    expect(introspected).toMatchObject({ active: true, authorization_details: [readDbPassword] });
    const refreshed = await openid.refreshTokenGrant(config, tokens.refresh_token ?? '', {
      authorization_details: JSON.stringify([readDbPassword]),
    });
    expect(refreshed.authorization_details).toEqual([readDbPassword]);
    expect((await api(refreshed.access_token, `/vaults/${production.id}/items/${apiKey.id}`)).status).toBe(
      403,
    );
    // A refresh cannot add an entry.
    const wider = await post('/token', {
      grant_type: 'refresh_token',
      refresh_token: refreshed.refresh_token ?? '',
      authorization_details: JSON.stringify([
        { type: 'keyhold_vault', vaults: [production.id], actions: ['read'] },
      ]),
    });
    expect(wider.status).toBe(400);
    expect(await wider.json()).toMatchObject({ error: 'invalid_authorization_details' });
  });
});

describe('a token with details stays within them through a token exchange (RFC 8693)', () => {
  const exchange = (extra: Record<string, string>) =>
    post('/token', {
      grant_type: TOKEN_EXCHANGE,
      subject_token: tokens.access_token,
      subject_token_type: 'urn:ietf:params:oauth:token-type:access_token',
      ...extra,
    });

  it('an exchanged access token carries the details: the approved item only, never the whole vault', async () => {
    const answer = await exchange({ scope: `vault:${production.id}:read` });
    expect(answer.status).toBe(200);
    const exchanged = (await answer.json()) as { access_token: string; authorization_details?: unknown };
    expect(exchanged.authorization_details).toEqual(tokens.authorization_details);
    expect(
      (await api(exchanged.access_token, `/vaults/${production.id}/items/${dbPassword.id}`)).status,
    ).toBe(200);
    const other = await api(exchanged.access_token, `/vaults/${production.id}/items/${apiKey.id}`);
    expect(other.status).toBe(403);
    expect(JSON.stringify(await other.json())).not.toContain('api-secret-2');
    const introspected = (await (
      await post('/introspect', { token: exchanged.access_token })
    ).json()) as Record<string, unknown>;
    expect(introspected).toMatchObject({ active: true, authorization_details: tokens.authorization_details });
  });

  it('the Connect bridge gives an item-narrowed token nothing: a Connect token grants whole vaults', async () => {
    const answer = await exchange({
      requested_token_type: 'urn:keyhold:params:oauth:token-type:connect',
      audience: 'Production node',
    });
    expect(answer.status).toBe(400);
    expect(await answer.json()).toMatchObject({ error: 'invalid_target' });
  });
});

describe('authorization_details, strictly validated (RFC 9396 §5)', () => {
  const vault = () => production.id;
  const cases: [what: string, details: () => unknown, description: RegExp][] = [
    ['not JSON', () => '[{', /is not JSON/],
    ['an object, not an array', () => ({ type: 'keyhold_vault' }), /must be a JSON array/],
    ['an empty array', () => [], /is empty/],
    [
      'an unknown type',
      () => [{ type: 'payment_initiation', actions: ['read'] }],
      /type `payment_initiation` is not supported: this server supports keyhold_vault/,
    ],
    [
      'an unknown field',
      () => [{ type: 'keyhold_vault', vaults: [vault()], actions: ['read'], locations: ['x'] }],
      /unknown field `locations`/,
    ],
    [
      'fields without items',
      () => [{ type: 'keyhold_vault', vaults: [vault()], actions: ['read'], fields: ['password'] }],
      /fields narrows items/,
    ],
    [
      'an unknown action',
      () => [{ type: 'keyhold_vault', vaults: [vault()], actions: ['delete'] }],
      /holds `delete`: the actions are read and write/,
    ],
    [
      'no actions',
      () => [{ type: 'keyhold_vault', vaults: [vault()] }],
      /actions must be a non-empty JSON array/,
    ],
    [
      'a vault that is not an id',
      () => [{ type: 'keyhold_vault', vaults: ['Production'], actions: ['read'] }],
      /not a vault id/,
    ],
    [
      'items across two vaults',
      () => [{ type: 'keyhold_vault', vaults: [vault(), newId()], items: [newId()], actions: ['read'] }],
      /items narrows one vault/,
    ],
    [
      'too many entries',
      () =>
        Array.from({ length: 11 }, () => ({ type: 'keyhold_vault', vaults: [newId()], actions: ['read'] })),
      /has 11 entries; at most 10/,
    ],
    [
      'a repeated entry',
      () => [
        { type: 'keyhold_vault', vaults: [vault()], actions: ['read'] },
        { type: 'keyhold_vault', vaults: [vault()], actions: ['read'] },
      ],
      /repeats an earlier entry/,
    ],
  ];
  const raw = (details: unknown) => (typeof details === 'string' ? details : JSON.stringify(details));

  it.each(cases)(
    'PAR refuses %s with invalid_authorization_details, 400, never a 500',
    async (_what, details, description) => {
      const response = await post('/par', {
        response_type: 'code',
        redirect_uri: redirectUri,
        code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
        code_challenge_method: 'S256',
        authorization_details: raw(details()),
      });
      expect(response.status).toBe(400);
      const body = (await response.json()) as { error: string; error_description: string };
      expect(body.error).toBe('invalid_authorization_details');
      expect(body.error_description).toMatch(description);
      expect(body.error_description).toMatch(/^[\x20\x21\x23-\x5b\x5d-\x7e]+$/);
    },
  );

  it('the authorization endpoint sends the error to the redirect URI with state and iss', async () => {
    const response = await fetch(
      `${f.issuer}/authorize?${new URLSearchParams({
        response_type: 'code',
        client_id: app.clientId,
        redirect_uri: redirectUri,
        state: 'st',
        code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
        code_challenge_method: 'S256',
        authorization_details: JSON.stringify([{ type: 'account_information', actions: ['read'] }]),
      })}`,
      { redirect: 'manual' },
    );
    expect(response.status).toBe(303);
    const location = new URL(response.headers.get('location') ?? '');
    expect(Object.fromEntries(location.searchParams)).toMatchObject({
      error: 'invalid_authorization_details',
      state: 'st',
      iss: f.issuer,
    });
  });

  it('vault access is asked by scope or by details, not both; and a client must be allowed the vault scopes', async () => {
    const both = await post('/par', {
      response_type: 'code',
      redirect_uri: redirectUri,
      scope: 'vault:read',
      code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
      code_challenge_method: 'S256',
      authorization_details: JSON.stringify([
        { type: 'keyhold_vault', vaults: [production.id], actions: ['read'] },
      ]),
    });
    expect(both.status).toBe(400);
    expect(await both.json()).toMatchObject({ error: 'invalid_request', error_description: /not both/ });
  });

  it('client credentials: a malformed detail is named; a valid keyhold_vault one acts for a user and is refused', async () => {
    const as = await f.admin<{ clientId: string; clientSecret: string }>('POST', '/clients', {
      name: 'Machine',
      redirectUris: [],
      scopes: [],
      grantTypes: ['client_credentials'],
    });
    const call = (details: string) =>
      fetch(`${f.issuer}/token`, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          authorization: `Basic ${Buffer.from(`${as.clientId}:${as.clientSecret}`).toString('base64')}`,
        },
        body: formBody({ grant_type: 'client_credentials', authorization_details: details }),
      });
    const bad = await call('{"type":"keyhold_vault"}');
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: 'invalid_authorization_details' });
    const valid = await call(
      JSON.stringify([{ type: 'keyhold_vault', vaults: [production.id], actions: ['read'] }]),
    );
    expect(valid.status).toBe(400);
    expect(await valid.json()).toMatchObject({
      error: 'invalid_authorization_details',
      error_description: /act for a user: use the authorization_code grant/,
    });
  });

  it('metadata names the one type', async () => {
    const metadata = (await (
      await fetch(`${f.url}/.well-known/oauth-authorization-server/oauth/${f.accountId}`)
    ).json()) as Record<string, unknown>;
    expect(metadata.authorization_details_types_supported).toEqual(['keyhold_vault']);
  });
});
