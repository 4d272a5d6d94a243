import { inspect } from 'node:util';
import { decodeProtectedHeader } from 'jose';
import * as client from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  authorizeInteractively,
  Browser,
  hiddenField,
  type OAuthFixture,
  startOAuthFixture,
  userTokens,
} from '../helpers/oauth.js';
import { secretFromEnrolmentPage, totpCode } from '../helpers/totp.js';

/**
 * OpenID Connect Core driven by an independent relying party, openid-client v6: its default
 * (`oidc`) discovery, the code flow with PKCE and a nonce through the real sign-in and consent
 * pages, ID token validation, userinfo and refresh; then the error cases, black-box.
 */
let f: OAuthFixture;
let rp: { clientId: string; clientSecret: string };
let config: client.Configuration;
const redirectUri = 'https://rp.example.com/cb';
const insecure = { execute: [client.allowInsecureRequests] };

beforeAll(async () => {
  f = await startOAuthFixture();
  rp = await f.admin('POST', '/clients', {
    name: 'Relying party',
    redirectUris: [redirectUri],
    scopes: ['openid', 'profile', 'email', 'vault:read'],
    grantTypes: ['authorization_code', 'refresh_token'],
  });
  const vault = await f.admin<{ id: string }>('POST', '/vaults', { name: 'Personal' });
  const users = await f.admin<{ id: string; email: string }[]>('GET', '/users');
  const me = users.find((u) => u.email === f.ownerEmail);
  await f.admin('PUT', `/users/${me?.id}/vaults/${vault.id}`, { permissions: ['read'] });
  config = await client.discovery(new URL(f.issuer), rp.clientId, rp.clientSecret, undefined, insecure);
}, 60_000);

afterAll(async () => {
  await f?.close();
});

const owner = () => ({ email: f.ownerEmail, password: f.ownerPassword });

/** An authorization request as the relying party builds it, with fresh PKCE, state and nonce. */
async function authorizationRequest(extra: Record<string, string> = {}) {
  const verifier = client.randomPKCECodeVerifier();
  const nonce = client.randomNonce();
  const state = client.randomState();
  const url = client.buildAuthorizationUrl(config, {
    redirect_uri: redirectUri,
    scope: 'openid profile email',
    code_challenge: await client.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    nonce,
    state,
    ...extra,
  });
  return { url, verifier, nonce, state };
}

/** The whole sign-in: pages in `browser`, then the code redeemed and the ID token checked by the RP. */
async function signIn(browser: Browser, extra: Record<string, string> = {}) {
  const request = await authorizationRequest(extra);
  const callback = await authorizeInteractively(browser, request.url.toString(), owner());
  const tokens = await client.authorizationCodeGrant(config, callback, {
    pkceCodeVerifier: request.verifier,
    expectedNonce: request.nonce,
    expectedState: request.state,
    idTokenExpected: true,
  });
  return { tokens, request };
}

describe('discovery', () => {
  it('passes openid-client’s default OpenID Connect discovery, with every required field', () => {
    const metadata = config.serverMetadata();
    expect(metadata.issuer).toBe(f.issuer);
    expect(metadata.userinfo_endpoint).toBe(`${f.issuer}/userinfo`);
    expect(metadata.end_session_endpoint).toBe(`${f.issuer}/end_session`);
    expect(metadata.jwks_uri).toBe(`${f.issuer}/jwks.json`);
    expect(metadata.subject_types_supported).toEqual(['public']);
    expect(metadata.id_token_signing_alg_values_supported).toEqual(['ES256']);
    expect(metadata.response_types_supported).toEqual(['code']);
    expect(metadata.scopes_supported).toEqual(expect.arrayContaining(['openid', 'profile', 'email']));
    expect(metadata.claims_supported).toEqual(
      expect.arrayContaining(['sub', 'auth_time', 'nonce', 'amr', 'acr', 'email', 'email_verified']),
    );
    expect(metadata.prompt_values_supported).toEqual(expect.arrayContaining(['none', 'login', 'consent']));
    expect(metadata.request_uri_parameter_supported).toBe(false);
  });

  it('answers the same document at the RFC 8414 paths', async () => {
    const oidc = await (await fetch(`${f.issuer}/.well-known/openid-configuration`)).json();
    const inserted = await fetch(`${f.url}/.well-known/openid-configuration/oauth/${f.accountId}`);
    expect(inserted.status).toBe(200);
    expect(await inserted.json()).toEqual(oidc);
    const oauth = await fetch(`${f.url}/.well-known/oauth-authorization-server/oauth/${f.accountId}`);
    expect(await oauth.json()).toEqual(oidc);
    const unknown = await fetch(`${f.url}/oauth/00000000000000000000000000/.well-known/openid-configuration`);
    expect(unknown.status).toBe(404);
  });
});

describe('the code flow', () => {
  it('signs the user in: a valid ID token, userinfo, and a refresh with a new ID token', async () => {
    const started = Math.floor(Date.now() / 1000);
    const { tokens } = await signIn(new Browser());
    const claims = tokens.claims();
    if (!claims) throw new Error('no ID token');
    const users = await f.admin<{ id: string; email: string }[]>('GET', '/users');
    const me = users.find((u) => u.email === f.ownerEmail);
    expect(claims).toMatchObject({
      iss: f.issuer,
      sub: me?.id,
      aud: rp.clientId,
      amr: ['pwd'],
      acr: 'urn:keyhold:acr:pwd',
      email: f.ownerEmail,
      email_verified: false,
      preferred_username: f.ownerEmail,
    });
    expect(claims.auth_time).toBeGreaterThanOrEqual(started - 1);
    expect(typeof claims.at_hash).toBe('string');
    expect(tokens.scope).toBe('openid profile email');
    const header = decodeProtectedHeader(tokens.id_token ?? '');
    expect(header).toMatchObject({ alg: 'ES256', typ: 'JWT' });
    const jwks = (await (await fetch(`${f.issuer}/jwks.json`)).json()) as { keys: { kid: string }[] };
    expect(jwks.keys.map((k) => k.kid)).toContain(header.kid);

    const info = await client.fetchUserInfo(config, tokens.access_token, claims.sub);
    expect(info).toEqual({
      sub: claims.sub,
      email: f.ownerEmail,
      email_verified: false,
      preferred_username: f.ownerEmail,
      updated_at: expect.any(Number),
    });

    const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token ?? '');
    const again = refreshed.claims();
    expect(again).toMatchObject({
      sub: claims.sub,
      aud: rp.clientId,
      auth_time: claims.auth_time,
      amr: ['pwd'],
    });
    expect(again?.nonce).toBeUndefined();
    // The old access token was rotated away; the new one reads userinfo.
    expect((await client.fetchUserInfo(config, refreshed.access_token, claims.sub)).sub).toBe(claims.sub);
  });

  it('carries the OpenID scopes beside vault scopes, with one audience: the vault API', async () => {
    const request = await authorizationRequest({ scope: 'openid email vault:read' });
    const callback = await authorizeInteractively(new Browser(), request.url.toString(), owner());
    const tokens = await client.authorizationCodeGrant(config, callback, {
      pkceCodeVerifier: request.verifier,
      expectedNonce: request.nonce,
      expectedState: request.state,
    });
    expect(tokens.claims()?.email).toBe(f.ownerEmail);
    const vaults = await fetch(`${f.url}/api/v1/vaults`, {
      headers: { authorization: `Bearer ${tokens.access_token}` },
    });
    expect(vaults.status).toBe(200);
  });

  it('an access token of a sign-in alone opens userinfo, never the vault API', async () => {
    const { tokens } = await signIn(new Browser(), { scope: 'openid' });
    expect(tokens.claims()?.email).toBeUndefined();
    const vaults = await fetch(`${f.url}/api/v1/vaults`, {
      headers: { authorization: `Bearer ${tokens.access_token}` },
    });
    expect(vaults.status).toBe(401);
    const info = await client.fetchUserInfo(config, tokens.access_token, client.skipSubjectCheck);
    expect(Object.keys(info)).toEqual(['sub']);
  });

  it('a nonce other than the one sent is caught by the relying party', async () => {
    const request = await authorizationRequest();
    const callback = await authorizeInteractively(new Browser(), request.url.toString(), owner());
    const refused = await client
      .authorizationCodeGrant(config, callback, {
        pkceCodeVerifier: request.verifier,
        expectedNonce: client.randomNonce(),
        expectedState: request.state,
      })
      .then(
        () => undefined,
        (error: unknown) => error,
      );
    expect(refused).toMatchObject({ code: 'OAUTH_JWT_CLAIM_COMPARISON_FAILED' });
    // The claim it compared, somewhere down the chain of causes.
    expect(inspect(refused, { depth: 6 })).toMatch(/claim: 'nonce'/);
  });
});

describe('prompt and max_age', () => {
  it('prompt=none without a session answers login_required at the redirect URI', async () => {
    const request = await authorizationRequest({ prompt: 'none' });
    const response = await new Browser().fetch(request.url.toString());
    expect(response.status).toBe(303);
    const location = new URL(response.headers.get('location') ?? '');
    expect(`${location.origin}${location.pathname}`).toBe(redirectUri);
    expect(location.searchParams.get('error')).toBe('login_required');
    expect(location.searchParams.get('state')).toBe(request.state);
    expect(location.searchParams.get('iss')).toBe(f.issuer);
  });

  it('prompt=none with a session but no consent answers consent_required; with consent, a code', async () => {
    // Another relying party, which the user never approved anything for.
    const other = await f.admin<{ clientId: string; clientSecret: string }>('POST', '/clients', {
      name: 'Second relying party',
      redirectUris: [redirectUri],
      scopes: ['openid', 'email'],
      grantTypes: ['authorization_code'],
    });
    const browser = new Browser();
    await signIn(browser, { scope: 'openid' });
    const newScope = await authorizationRequest({
      prompt: 'none',
      scope: 'openid',
      client_id: other.clientId,
    });
    const refused = new URL((await browser.fetch(newScope.url.toString())).headers.get('location') ?? '');
    expect(refused.searchParams.get('error')).toBe('consent_required');
    const same = await authorizationRequest({ prompt: 'none', scope: 'openid profile' });
    const granted = new URL((await browser.fetch(same.url.toString())).headers.get('location') ?? '');
    expect(granted.searchParams.get('code')).toMatch(/^khac_/);
  });

  it('prompt=login signs a signed-in user in again, and the ID token tells the new sign-in', async () => {
    const browser = new Browser();
    const first = (await signIn(browser)).tokens.claims();
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const request = await authorizationRequest({ prompt: 'login' });
    const toLogin = await browser.fetch(request.url.toString());
    expect(toLogin.status).toBe(303);
    expect(toLogin.headers.get('location')).toMatch(/\/login\?.*fresh=1/);
    const callback = await authorizeInteractively(browser, request.url.toString(), owner());
    const tokens = await client.authorizationCodeGrant(config, callback, {
      pkceCodeVerifier: request.verifier,
      expectedNonce: request.nonce,
      expectedState: request.state,
    });
    expect(tokens.claims()?.auth_time).toBeGreaterThan(first?.auth_time ?? Number.POSITIVE_INFINITY);
  });

  it('max_age older than the sign-in sends the user to sign in again; prompt=none then refuses', async () => {
    const browser = new Browser();
    await signIn(browser);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const silent = await authorizationRequest({ max_age: '0', prompt: 'none' });
    const refused = new URL((await browser.fetch(silent.url.toString())).headers.get('location') ?? '');
    expect(refused.searchParams.get('error')).toBe('login_required');
    const recent = await authorizationRequest({ max_age: '3600', prompt: 'none' });
    const granted = new URL((await browser.fetch(recent.url.toString())).headers.get('location') ?? '');
    expect(granted.searchParams.get('code')).toMatch(/^khac_/);
    const old = await authorizationRequest({ max_age: '0' });
    const callback = await authorizeInteractively(browser, old.url.toString(), owner());
    const tokens = await client.authorizationCodeGrant(config, callback, {
      pkceCodeVerifier: old.verifier,
      expectedNonce: old.nonce,
      expectedState: old.state,
      maxAge: 5,
    });
    expect(tokens.claims()?.auth_time).toBeGreaterThanOrEqual(Math.floor(Date.now() / 1000) - 5);
  });

  it('refuses bad prompt, max_age and nonce values at the redirect URI', async () => {
    for (const extra of [
      { prompt: 'none login' },
      { prompt: 'sometimes' },
      { max_age: '-1' },
      { nonce: 'n'.repeat(513) },
      // A NUL cannot be stored in a PostgreSQL text column: refused as input, never a 500.
      { nonce: 'a\u0000b' },
    ] as Record<string, string>[]) {
      const request = await authorizationRequest(extra);
      const response = await new Browser().fetch(request.url.toString());
      const location = new URL(response.headers.get('location') ?? '');
      expect(location.searchParams.get('error'), JSON.stringify(extra)).toBe('invalid_request');
    }
  });
});

describe('userinfo', () => {
  it('refuses a token without openid (403 insufficient_scope), a bad token and no token, per RFC 6750', async () => {
    const plain = await userTokens(f.issuer, rp, owner(), { scope: 'vault:read', redirectUri });
    const noOpenid = await fetch(`${f.issuer}/userinfo`, {
      headers: { authorization: `Bearer ${plain.access_token}` },
    });
    expect(noOpenid.status).toBe(403);
    expect(noOpenid.headers.get('www-authenticate')).toMatch(
      /^Bearer realm="keyhold", error="insufficient_scope", .*scope="openid"$/,
    );
    expect(((await noOpenid.json()) as { error: string }).error).toBe('insufficient_scope');

    const bad = await fetch(`${f.issuer}/userinfo`, {
      method: 'POST',
      headers: { authorization: 'Bearer khat_nope' },
    });
    expect(bad.status).toBe(401);
    expect(bad.headers.get('www-authenticate')).toMatch(/error="invalid_token"/);

    const none = await fetch(`${f.issuer}/userinfo`);
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toBe('Bearer realm="keyhold"');
    expect(await none.text()).toBe('');

    const malformed = await fetch(`${f.issuer}/userinfo`, { headers: { authorization: 'Basic abc' } });
    expect(malformed.status).toBe(400);
    expect(malformed.headers.get('www-authenticate')).toMatch(/error="invalid_request"/);
    expect(malformed.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('stops answering once the grant is revoked', async () => {
    const { tokens } = await signIn(new Browser());
    const grants = await f.admin<{ id: string; clientId: string }[]>('GET', '/grants');
    for (const g of grants.filter((x) => x.clientId === rp.clientId))
      await f.admin('DELETE', `/grants/${g.id}`);
    const after = await fetch(`${f.issuer}/userinfo`, {
      headers: { authorization: `Bearer ${tokens.access_token}` },
    });
    expect(after.status).toBe(401);
  });
});

describe('RP-initiated logout', () => {
  it('with the ID token as hint, ends the session and returns to the registered URI with state', async () => {
    const browser = new Browser();
    const { tokens } = await signIn(browser);
    const url = client.buildEndSessionUrl(config, {
      id_token_hint: tokens.id_token ?? '',
      post_logout_redirect_uri: redirectUri,
      state: 'bye',
    });
    const response = await browser.fetch(url.toString());
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toBe(`${redirectUri}?state=bye`);
    const silent = await authorizationRequest({ prompt: 'none' });
    const after = new URL((await browser.fetch(silent.url.toString())).headers.get('location') ?? '');
    expect(after.searchParams.get('error')).toBe('login_required');
  });

  it('without a hint, asks the user first; the answer needs the session’s CSRF token', async () => {
    const browser = new Browser();
    await signIn(browser);
    const asked = await browser.fetch(`${f.issuer}/end_session?client_id=${rp.clientId}`);
    expect(asked.status).toBe(200);
    const page = await asked.text();
    expect(page).toContain('Relying party asks to sign you out');
    const forged = await browser.fetch(`${f.issuer}/end_session`, {
      form: { decision: 'logout', client_id: rp.clientId, csrf: 'forged' },
    });
    expect(forged.status).toBe(400);
    const csrf = /name="csrf" value="([^"]+)"/.exec(page)?.[1] ?? '';
    const done = await browser.fetch(`${f.issuer}/end_session`, {
      form: { decision: 'logout', client_id: rp.clientId, csrf },
    });
    expect(done.status).toBe(200);
    expect(await done.text()).toContain('You are signed out');
  });

  it('refuses a bad id_token_hint or an unregistered URI on a page, never redirecting', async () => {
    const { tokens } = await signIn(new Browser());
    const [h, p] = (tokens.id_token ?? '').split('.');
    const cases = [
      { id_token_hint: 'not-a-jwt', post_logout_redirect_uri: redirectUri },
      { id_token_hint: `${h}.${p}.${'A'.repeat(86)}`, post_logout_redirect_uri: redirectUri },
      // A hint whose client is not the one client_id names, a URI not registered, no client.
      { id_token_hint: tokens.id_token ?? '', client_id: 'kc-someone-else' },
      { id_token_hint: tokens.id_token ?? '', post_logout_redirect_uri: 'https://evil.example.com/' },
      { post_logout_redirect_uri: redirectUri },
    ] as Record<string, string>[];
    for (const params of cases) {
      const response = await fetch(`${f.issuer}/end_session?${new URLSearchParams(params)}`, {
        redirect: 'manual',
      });
      expect(response.status, JSON.stringify(params)).toBe(400);
      expect(response.headers.get('location')).toBeNull();
    }
  });
});

describe('the catalog', () => {
  it('refuses openid for client credentials, and a resource server defining an OpenID scope', async () => {
    const machine = await f.admin<{ clientId: string; clientSecret: string }>('POST', '/clients', {
      name: 'machine',
      redirectUris: [],
      scopes: ['openid'],
      grantTypes: ['client_credentials'],
    });
    const response = await fetch(`${f.issuer}/token`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from(`${machine.clientId}:${machine.clientSecret}`).toString('base64')}`,
      },
      body: 'grant_type=client_credentials&scope=openid',
    });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: string }).error).toBe('invalid_scope');
    await expect(
      f.admin('POST', '/resource-servers', {
        identifier: 'https://id.example.com',
        name: 'Impostor',
        scopes: [{ name: 'openid', description: 'mine' }],
      }),
    ).rejects.toThrow(/409|openid/);
  });
});

describe('a sign-in with a second step', () => {
  it('says so in the ID token: amr pwd, otp, mfa and the MFA acr', async () => {
    await f.admin('PUT', '/account/policy', { requireMfa: true });
    try {
      const password = 'a long enough password, surely';
      await f.admin('POST', '/users', { email: 'two-step@example.com', password });
      const browser = new Browser();
      const request = await authorizationRequest();
      const toLogin = await browser.fetch(request.url.toString());
      const loginUrl = new URL(toLogin.headers.get('location') ?? '', f.url).toString();
      const loginPage = await (await browser.fetch(loginUrl)).text();
      const toStep = await browser.fetch(`${f.issuer}/login`, {
        form: {
          csrf: hiddenField(loginPage, 'csrf'),
          request: hiddenField(loginPage, 'request'),
          email: 'two-step@example.com',
          password,
        },
      });
      expect(toStep.headers.get('location')).toContain('/login/mfa');
      const stepPage = await (
        await browser.fetch(new URL(toStep.headers.get('location') ?? '', f.url).toString())
      ).text();
      const enrolled = await browser.fetch(`${f.issuer}/login/mfa`, {
        form: {
          csrf: hiddenField(stepPage, 'csrf'),
          request: hiddenField(stepPage, 'request'),
          code: totpCode(secretFromEnrolmentPage(stepPage)),
        },
      });
      expect(enrolled.status).toBe(200);
      const next =
        /<a id="continue" href="([^"]+)"/.exec(await enrolled.text())?.[1]?.replace(/&amp;/g, '&') ?? '';
      const callback = await authorizeInteractively(browser, new URL(next, f.url).toString(), {
        email: 'two-step@example.com',
        password,
      });
      const tokens = await client.authorizationCodeGrant(config, callback, {
        pkceCodeVerifier: request.verifier,
        expectedNonce: request.nonce,
        expectedState: request.state,
      });
      expect(tokens.claims()).toMatchObject({
        amr: ['pwd', 'otp', 'mfa'],
        acr: 'urn:keyhold:acr:mfa',
        email: 'two-step@example.com',
      });

      // prompt=login: the password again, then the second step again — the session the browser
      // had ends with the password step, so it cannot carry the user past the code.
      const again = await authorizationRequest({ prompt: 'login' });
      const freshLogin = new URL(
        (await browser.fetch(again.url.toString())).headers.get('location') ?? '',
        f.url,
      );
      const freshPage = await (await browser.fetch(freshLogin.toString())).text();
      const toSecondStep = await browser.fetch(`${f.issuer}/login`, {
        form: {
          csrf: hiddenField(freshPage, 'csrf'),
          request: hiddenField(freshPage, 'request'),
          email: 'two-step@example.com',
          password,
        },
      });
      expect(toSecondStep.headers.get('location')).toContain('/login/mfa');
      const secondStep = await browser.fetch(
        new URL(toSecondStep.headers.get('location') ?? '', f.url).toString(),
      );
      expect(secondStep.status).toBe(200);
      expect(await secondStep.text()).toContain('name="code"');
    } finally {
      await f.admin('PUT', '/account/policy', { requireMfa: false });
    }
  });
});
