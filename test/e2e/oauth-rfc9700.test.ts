import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  authorizeInteractively,
  Browser,
  formBody,
  hiddenField,
  type OAuthFixture,
  startOAuthFixture,
} from '../helpers/oauth.js';

/**
 * The RFC 9700 checks of reference/oauth.md, one `describe` each, as black-box tests over raw
 * HTTP: nothing here uses an OAuth library, so nothing is smoothed over.
 */
let f: OAuthFixture;
let vaultId: string;
let rs: { id: string; secret: string; identifier: string };
let other: { id: string; secret: string; identifier: string };
let web: { clientId: string; clientSecret: string };
const REDIRECT = 'https://app.example.com/cb';
const LOOPBACK = 'http://127.0.0.1:9999/cb';

beforeAll(async () => {
  f = await startOAuthFixture();
  const vault = await f.admin<{ id: string }>('POST', '/vaults', { name: 'Personal' });
  vaultId = vault.id;
  const owner = (await f.admin<{ id: string; email: string }[]>('GET', '/users')).find(
    (u) => u.email === f.ownerEmail,
  );
  await f.admin('PUT', `/users/${owner?.id}/vaults/${vaultId}`, { permissions: ['read', 'write'] });
  rs = await f.admin('POST', '/resource-servers', {
    identifier: 'https://notes.example.com',
    scopes: [
      { name: 'notes:read', description: 'Read notes' },
      { name: 'notes:write', description: 'Write notes' },
    ],
  });
  other = await f.admin('POST', '/resource-servers', {
    identifier: 'https://other.example.com',
    scopes: [{ name: 'other:read', description: 'Other' }],
  });
  web = await f.admin('POST', '/clients', {
    name: 'Notes app',
    redirectUris: [REDIRECT, LOOPBACK],
    scopes: ['notes:read', 'notes:write', 'other:read', 'vault:read'],
  });
}, 60_000);

afterAll(async () => {
  await f?.close();
});

const pkce = () => {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
};

function authorizeUrl(params: Record<string, string>): string {
  return `${f.issuer}/authorize?${new URLSearchParams(params)}`;
}

const validParams = (challenge: string, extra: Record<string, string> = {}) => ({
  response_type: 'code',
  client_id: web.clientId,
  redirect_uri: REDIRECT,
  scope: 'notes:read',
  state: 'st-1',
  code_challenge: challenge,
  code_challenge_method: 'S256',
  ...extra,
});

const basic = (id: string, secret: string) =>
  `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;

async function post(path: string, form: Record<string, string>, authorization?: string) {
  const response = await fetch(`${f.issuer}${path}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      ...(authorization ? { authorization } : {}),
    },
    body: formBody(form),
  });
  return {
    status: response.status,
    headers: response.headers,
    body: (await response.json().catch(() => null)) as Record<string, unknown> | null,
  };
}

const token = (form: Record<string, string>) => post('/token', form, basic(web.clientId, web.clientSecret));
const introspect = (t: string, as = rs) => post('/introspect', { token: t }, basic(as.id, as.secret));

/** A signed-in browser that approved everything once; returns a fresh code for `params`. */
const owner = new Browser();
async function code(params: Record<string, string>): Promise<URL> {
  return authorizeInteractively(owner, authorizeUrl(params), {
    email: f.ownerEmail,
    password: f.ownerPassword,
  });
}

async function codeAndTokens(scope = 'notes:read') {
  const { verifier, challenge } = pkce();
  const callback = await code(validParams(challenge, { scope }));
  const c = callback.searchParams.get('code') ?? '';
  const tokens = await token({
    grant_type: 'authorization_code',
    code: c,
    redirect_uri: REDIRECT,
    code_verifier: verifier,
  });
  expect(tokens.status).toBe(200);
  return {
    code: c,
    verifier,
    tokens: tokens.body as { access_token: string; refresh_token: string; scope: string },
  };
}

/** An authorization request answered without redirecting: an error page, status 400. */
async function expectErrorPage(url: string) {
  const response = await fetch(url, { redirect: 'manual' });
  expect(response.status).toBe(400);
  expect(response.headers.get('location')).toBeNull();
  expect(response.headers.get('content-type')).toContain('text/html');
  return response.text();
}

/** An authorization request answered by redirecting an error to the client. */
async function expectErrorRedirect(url: string, error: string) {
  const response = await fetch(url, { redirect: 'manual' });
  expect(response.status).toBe(303);
  const location = new URL(response.headers.get('location') ?? '');
  expect(`${location.origin}${location.pathname}`).toBe(REDIRECT);
  expect(location.searchParams.get('error')).toBe(error);
  expect(location.searchParams.get('iss')).toBe(f.issuer);
  return location;
}

describe('1. redirect_uri is matched exactly (loopback may vary the port)', () => {
  it('refuses near variants and accepts the loopback port change', async () => {
    const { challenge } = pkce();
    for (const variant of [
      `${REDIRECT}/`,
      'https://APP.example.com/cb',
      `${REDIRECT}?x=1`,
      'https://app.example.com/CB',
    ]) {
      await expectErrorPage(authorizeUrl(validParams(challenge, { redirect_uri: variant })));
    }
    const loopback = await fetch(
      authorizeUrl(validParams(challenge, { redirect_uri: 'http://127.0.0.1:45678/cb' })),
      {
        redirect: 'manual',
      },
    );
    expect(loopback.status).toBe(303);
    expect(loopback.headers.get('location')).toContain('/login?');
  });
});

describe('2. a bad redirect_uri or an unknown client_id gets an error page, never a redirect', () => {
  it('shows the error page', async () => {
    const { challenge } = pkce();
    await expectErrorPage(
      authorizeUrl(validParams(challenge, { client_id: 'kc-00000000000000000000000000' })),
    );
    await expectErrorPage(authorizeUrl(validParams(challenge, { redirect_uri: 'https://evil.example/cb' })));
    const { redirect_uri: _omit, ...noRedirect } = validParams(challenge);
    await expectErrorPage(authorizeUrl(noRedirect));
  });
});

describe('3. no http redirect URIs except loopback', () => {
  it('refuses them at registration', async () => {
    for (const uri of [
      'http://app.example.com/cb',
      'http://localhost:8080/cb',
      'javascript:alert(1)',
      'https://app.example.com/cb#frag',
    ]) {
      await expect(
        f.admin('POST', '/clients', { name: 'bad', redirectUris: [uri], scopes: ['notes:read'] }),
      ).rejects.toThrow(/400/);
    }
  });
});

describe('4. never an open redirector', () => {
  it('does not redirect an invalid request to an unregistered URI, and sign-in only returns to /authorize', async () => {
    await expectErrorPage(
      authorizeUrl({
        response_type: 'token',
        client_id: web.clientId,
        redirect_uri: 'https://evil.example/cb',
      }),
    );
    const browser = new Browser();
    const loginPage = await (
      await browser.fetch(`${f.issuer}/login?request=${encodeURIComponent('//evil.example')}`)
    ).text();
    const response = await browser.fetch(`${f.issuer}/login`, {
      form: {
        csrf: hiddenField(loginPage, 'csrf'),
        request: 'x=https://evil.example\r\nSet-Cookie: stolen=1',
        email: f.ownerEmail,
        password: f.ownerPassword,
      },
    });
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toBe(
      `/oauth/${f.accountId}/authorize?x=https%3A%2F%2Fevil.example%0D%0ASet-Cookie%3A+stolen%3D1`,
    );
    expect(response.headers.getSetCookie().some((c) => c.startsWith('stolen'))).toBe(false);
  });
});

describe('5. PKCE is required and only S256 is advertised', () => {
  it('refuses a request without a challenge or with plain', async () => {
    const { challenge } = pkce();
    const { code_challenge: _c, code_challenge_method: _m, ...withoutPkce } = validParams(challenge);
    await expectErrorRedirect(authorizeUrl(withoutPkce), 'invalid_request');
    await expectErrorRedirect(
      authorizeUrl(validParams(challenge, { code_challenge_method: 'plain' })),
      'invalid_request',
    );
    const metadata = (await (
      await fetch(`${f.url}/.well-known/oauth-authorization-server/oauth/${f.accountId}`)
    ).json()) as Record<string, unknown>;
    expect(metadata.code_challenge_methods_supported).toEqual(['S256']);
  });
});

describe('6. a missing or wrong code_verifier is invalid_grant', () => {
  it('refuses both', async () => {
    const { challenge } = pkce();
    const c = (await code(validParams(challenge))).searchParams.get('code') ?? '';
    const missing = await token({ grant_type: 'authorization_code', code: c, redirect_uri: REDIRECT });
    expect(missing.status).toBe(400);
    expect(missing.body?.error).toBe('invalid_grant');
    const wrong = await token({
      grant_type: 'authorization_code',
      code: c,
      redirect_uri: REDIRECT,
      code_verifier: pkce().verifier,
    });
    expect(wrong.body?.error).toBe('invalid_grant');
  });
});

describe('7. PKCE downgrade', () => {
  it('cannot get a code without a challenge, so a verifier never meets a code without one', async () => {
    const { verifier } = pkce();
    const { code_challenge: _c, code_challenge_method: _m, ...withoutPkce } = validParams('x');
    const location = await expectErrorRedirect(authorizeUrl(withoutPkce), 'invalid_request');
    expect(location.searchParams.get('code')).toBeNull();
    const forged = await token({
      grant_type: 'authorization_code',
      code: 'khac_forged',
      redirect_uri: REDIRECT,
      code_verifier: verifier,
    });
    expect(forged.body?.error).toBe('invalid_grant');
  });
});

describe('8. a code is single-use; a second redemption revokes what the first issued', () => {
  it('revokes the tokens', async () => {
    const first = await codeAndTokens();
    expect((await introspect(first.tokens.access_token)).body?.active).toBe(true);
    const again = await token({
      grant_type: 'authorization_code',
      code: first.code,
      redirect_uri: REDIRECT,
      code_verifier: first.verifier,
    });
    expect(again.body?.error).toBe('invalid_grant');
    expect((await introspect(first.tokens.access_token)).body).toEqual({ active: false });
    const refresh = await token({ grant_type: 'refresh_token', refresh_token: first.tokens.refresh_token });
    expect(refresh.body?.error).toBe('invalid_grant');
  });
});

describe('9. response_type=token and grant_type=password are refused', () => {
  it('refuses both', async () => {
    const { challenge } = pkce();
    await expectErrorRedirect(
      authorizeUrl(validParams(challenge, { response_type: 'token' })),
      'unsupported_response_type',
    );
    const password = await token({
      grant_type: 'password',
      username: f.ownerEmail,
      password: f.ownerPassword,
    });
    expect(password.status).toBe(400);
    expect(password.body?.error).toBe('unsupported_grant_type');
  });
});

describe('10. a rotated refresh token used again revokes the whole grant', () => {
  it('revokes the grant and every token', async () => {
    const { tokens } = await codeAndTokens();
    const rotated = await token({ grant_type: 'refresh_token', refresh_token: tokens.refresh_token });
    expect(rotated.status).toBe(200);
    const second = rotated.body as { access_token: string; refresh_token: string };
    const reuse = await token({ grant_type: 'refresh_token', refresh_token: tokens.refresh_token });
    expect(reuse.body?.error).toBe('invalid_grant');
    expect((await introspect(second.access_token)).body).toEqual({ active: false });
    expect(
      (await token({ grant_type: 'refresh_token', refresh_token: second.refresh_token })).body?.error,
    ).toBe('invalid_grant');
    const grants = await f.admin<{ clientId: string; resource: string }[]>('GET', '/grants');
    expect(grants.filter((g) => g.clientId === web.clientId && g.resource === rs.identifier)).toEqual([]);
  });
});

describe('11. a refresh cannot widen the scope or change the resource', () => {
  it('refuses both, and may narrow', async () => {
    const { tokens } = await codeAndTokens('notes:read');
    const wider = await token({
      grant_type: 'refresh_token',
      refresh_token: tokens.refresh_token,
      scope: 'notes:read notes:write',
    });
    expect(wider.body?.error).toBe('invalid_scope');
    const moved = await token({
      grant_type: 'refresh_token',
      refresh_token: tokens.refresh_token,
      resource: other.identifier,
    });
    expect(moved.body?.error).toBe('invalid_target');
    const same = await token({
      grant_type: 'refresh_token',
      refresh_token: tokens.refresh_token,
      scope: 'notes:read',
    });
    expect(same.status).toBe(200);
  });
});

describe('12. access tokens are audience-restricted', () => {
  it('is active only for its own resource server', async () => {
    const { tokens } = await codeAndTokens();
    expect((await introspect(tokens.access_token, rs)).body?.aud).toBe(rs.identifier);
    expect((await introspect(tokens.access_token, other)).body).toEqual({ active: false });
    const mixed = await codeAndTokens('notes:read').catch(() => undefined);
    expect(mixed).toBeDefined();
    const { challenge } = pkce();
    await expectErrorRedirect(
      authorizeUrl(validParams(challenge, { scope: 'notes:read other:read' })),
      'invalid_scope',
    );
    await expectErrorRedirect(
      authorizeUrl(validParams(challenge, { resource: other.identifier })),
      'invalid_target',
    );
  });
});

describe('13. iss is in every authorization response', () => {
  it('is on success and on error', async () => {
    const { challenge } = pkce();
    const success = await code(validParams(challenge));
    expect(success.searchParams.get('iss')).toBe(f.issuer);
    const error = await expectErrorRedirect(
      authorizeUrl(validParams(challenge, { scope: 'Notes:Read' })),
      'invalid_scope',
    );
    expect(error.searchParams.get('error_description')).toContain('notes:read');
  });
});

describe('14. state is returned exactly', () => {
  it('round-trips unusual characters', async () => {
    const { challenge } = pkce();
    const state = 'a b&c=d/é+%20"<>';
    expect((await code(validParams(challenge, { state }))).searchParams.get('state')).toBe(state);
    const error = await expectErrorRedirect(
      authorizeUrl(validParams(challenge, { state, response_type: 'token' })),
      'unsupported_response_type',
    );
    expect(error.searchParams.get('state')).toBe(state);
  });
});

describe('15. pages: headers, no third-party resources, CSRF on every POST, 303 after credentials', () => {
  it('sends the headers and refuses forms without their CSRF token', async () => {
    const browser = new Browser();
    const login = await browser.fetch(`${f.issuer}/login`);
    const page = await login.text();
    expect(login.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    expect(login.headers.get('x-frame-options')).toBe('DENY');
    expect(login.headers.get('referrer-policy')).toBe('no-referrer');
    expect(page).not.toMatch(/(src|href)="(https?:)?\/\//);
    expect(page).not.toContain('<script');

    const noCsrf = await browser.fetch(`${f.issuer}/login`, {
      form: { email: f.ownerEmail, password: f.ownerPassword },
    });
    expect(noCsrf.status).toBe(400);
    const signedIn = await browser.fetch(`${f.issuer}/login`, {
      form: { csrf: hiddenField(page, 'csrf'), email: f.ownerEmail, password: f.ownerPassword },
    });
    expect(signedIn.status).toBe(303);

    const grants = await browser.fetch(`${f.issuer}/grants`);
    expect(grants.status).toBe(200);
    expect(grants.headers.get('x-frame-options')).toBe('DENY');
    const { challenge } = pkce();
    const consent = await browser.fetch(authorizeUrl(validParams(challenge, { scope: 'notes:write' })));
    expect(consent.status).toBe(200);
    expect(consent.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    const consentPage = await consent.text();
    const forged = await browser.fetch(`${f.issuer}/consent`, {
      form: { request: hiddenField(consentPage, 'request'), decision: 'approve', scope: 'notes:write' },
    });
    expect(forged.status).toBe(400);
    const logout = await browser.fetch(`${f.issuer}/logout`, { form: { csrf: 'wrong' } });
    expect(logout.status).toBe(400);
  });
});

describe('16. no CORS on the authorization server', () => {
  it('never answers with Access-Control-Allow-Origin', async () => {
    const { challenge } = pkce();
    const headers = { origin: 'https://evil.example' };
    const authorize = await fetch(authorizeUrl(validParams(challenge)), { headers, redirect: 'manual' });
    expect(authorize.headers.get('access-control-allow-origin')).toBeNull();
    const preflight = await fetch(`${f.issuer}/token`, {
      method: 'OPTIONS',
      headers: { ...headers, 'access-control-request-method': 'POST' },
    });
    expect(preflight.headers.get('access-control-allow-origin')).toBeNull();
  });
});

describe('17. confidential clients authenticate at token, introspection and revocation', () => {
  it('refuses them without credentials', async () => {
    for (const path of ['/token', '/introspect', '/revoke']) {
      const anonymous = await post(path, {
        client_id: web.clientId,
        token: 'x',
        grant_type: 'client_credentials',
      });
      expect(anonymous.status).toBe(401);
      expect(anonymous.body?.error).toBe('invalid_client');
      const wrong = await post(
        path,
        { token: 'x', grant_type: 'client_credentials' },
        basic(web.clientId, 'khcs_wrong'),
      );
      expect(wrong.status).toBe(401);
      expect(wrong.headers.get('www-authenticate')).toContain('Basic');
    }
  });
});

describe('18. a client id never collides with a user subject', () => {
  it('keeps client ids and user ids in disjoint shapes', async () => {
    const { tokens } = await codeAndTokens();
    const users = await f.admin<{ id: string }[]>('GET', '/users');
    const sub = (await introspect(tokens.access_token)).body?.sub;
    expect(users.map((u) => u.id)).toContain(sub);
    const clients = await f.admin<{ clientId: string }[]>('GET', '/clients');
    for (const c of clients) {
      expect(c.clientId).toMatch(/^kc-[a-z0-9]{26}$/);
      for (const u of users) expect(u.id).not.toBe(c.clientId);
    }
    for (const u of users) expect(u.id).toMatch(/^[a-z0-9]{26}$/);
  });
});
