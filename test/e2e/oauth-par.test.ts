import { createHash, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { type CryptoKey, SignJWT } from 'jose';
import * as oauth from 'oauth4webapi';
import * as openid from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authorizeInteractively, Browser, type OAuthFixture, startOAuthFixture } from '../helpers/oauth.js';
import { discoverClient } from '../helpers/openid-client.js';

/**
 * Pushed authorization requests (RFC 9126), request objects sent through them (RFC 9101) and
 * signed introspection answers (RFC 9701), driven by independent clients over real HTTP:
 * openid-client v6 (`buildAuthorizationUrlWithPAR`) and oauth4webapi v3
 * (`pushedAuthorizationRequest`, `issueRequestObject`, JWT introspection), through the real
 * sign-in and consent pages to tokens; and each error case black-box.
 */
let f: OAuthFixture;
let as: oauth.AuthorizationServer;
const insecure = { [oauth.allowInsecureRequests]: true };
const REDIRECT = 'https://app.example.com/cb';
let reports: { id: string; secret: string; identifier: string };
let app: { clientId: string; clientSecret: string };
let other: { clientId: string; clientSecret: string };
let signed: { clientId: string; privateKey: CryptoKey };
let user: { email: string; password: string };

const challenge = () => {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
};
const basic = (c: { clientId: string; clientSecret: string }) =>
  `Basic ${Buffer.from(`${c.clientId}:${c.clientSecret}`).toString('base64')}`;

/** POST /par with HTTP Basic, answering status and body. */
const push = async (c: { clientId: string; clientSecret: string }, form: Record<string, string>) => {
  const response = await fetch(`${f.issuer}/par`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic(c) },
    body: new URLSearchParams(form),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
};
const plainRequest = (clientId: string, state = 'st') => ({
  response_type: 'code',
  client_id: clientId,
  redirect_uri: REDIRECT,
  scope: 'reports:read',
  state,
  code_challenge: challenge().challenge,
  code_challenge_method: 'S256',
});
const authorizeUrl = (clientId: string, requestUri: string, extra: Record<string, string> = {}) =>
  `${f.issuer}/authorize?${new URLSearchParams({ client_id: clientId, request_uri: requestUri, ...extra })}`;
/** Where a redirect answer points. */
const location = (response: Response) => new URL(response.headers.get('location') ?? 'about:blank');

/** A browser signed in as the owner, who has approved `reports:read` for `app` once. */
let grantedBrowser: Browser;

beforeAll(async () => {
  f = await startOAuthFixture();
  const issuer = new URL(f.issuer);
  as = await oauth.processDiscoveryResponse(
    issuer,
    await oauth.discoveryRequest(issuer, { algorithm: 'oauth2', ...insecure }),
  );
  user = { email: f.ownerEmail, password: f.ownerPassword };
  reports = await f.admin('POST', '/resource-servers', {
    identifier: 'https://reports.example.com',
    name: 'Reports',
    scopes: [{ name: 'reports:read', description: 'Read reports' }],
  });
  const confidential = (name: string) =>
    f.admin<{ clientId: string; clientSecret: string }>('POST', '/clients', {
      name,
      redirectUris: [REDIRECT],
      scopes: ['reports:read'],
      grantTypes: ['authorization_code', 'refresh_token'],
    });
  app = await confidential('Pushed app');
  other = await confidential('Other app');
  const keys = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, [
    'sign',
    'verify',
  ]);
  const jwk = await crypto.subtle.exportKey('jwk', keys.publicKey);
  const created = await f.admin<{ clientId: string }>('POST', '/clients', {
    name: 'Signed requests app',
    redirectUris: [REDIRECT],
    scopes: ['reports:read'],
    grantTypes: ['authorization_code'],
    jwks: { keys: [{ kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y }] },
  });
  signed = { clientId: created.clientId, privateKey: keys.privateKey };
}, 60_000);

afterAll(async () => {
  await f?.close();
});

describe('discovery', () => {
  it('advertises the PAR endpoint, request object and signed introspection algorithms', () => {
    expect(as.pushed_authorization_request_endpoint).toBe(`${f.issuer}/par`);
    expect(as.require_pushed_authorization_requests).toBe(false);
    expect(as.request_object_signing_alg_values_supported).toEqual(['ES256', 'RS256', 'PS256']);
    expect(as.introspection_signing_alg_values_supported).toEqual(['ES256']);
  });
});

describe('pushed authorization requests (RFC 9126)', () => {
  it('openid-client pushes, the user signs in and approves, the code becomes tokens', async () => {
    const config = await discoverClient(f.issuer, app, REDIRECT);
    const verifier = openid.randomPKCECodeVerifier();
    const state = openid.randomState();
    const url = await openid.buildAuthorizationUrlWithPAR(config, {
      redirect_uri: REDIRECT,
      scope: 'reports:read',
      state,
      code_challenge: await openid.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
    });
    // Only client_id and the request_uri travel through the browser.
    expect([...url.searchParams.keys()].sort()).toEqual(['client_id', 'request_uri']);
    expect(url.searchParams.get('request_uri')).toMatch(/^urn:ietf:params:oauth:request_uri:[\w-]{43}$/);
    grantedBrowser = new Browser();
    const callback = await authorizeInteractively(grantedBrowser, url.toString(), user);
    const tokens = await openid.authorizationCodeGrant(config, callback, {
      pkceCodeVerifier: verifier,
      expectedState: state,
    });
    expect(tokens.scope).toBe('reports:read');
    expect(tokens.access_token).toMatch(/^khat_/);

    // The same request_uri again: the request had its one answer.
    const again = await grantedBrowser.fetch(url.toString());
    expect(again.status).toBe(303);
    expect(Object.fromEntries(location(again).searchParams)).toMatchObject({
      error: 'invalid_request_uri',
      error_description: 'request_uri was already used: push the request again',
      state,
      iss: f.issuer,
    });
  });

  it('answers 201 with a one-time urn and a short expires_in', async () => {
    const { status, body } = await push(app, plainRequest(app.clientId));
    expect(status).toBe(201);
    expect(body.expires_in).toBe(60);
    expect(Object.keys(body).sort()).toEqual(['expires_in', 'request_uri']);
  });

  it('ignores every front-channel parameter but client_id (RFC 9126 §4)', async () => {
    const { body } = await push(app, plainRequest(app.clientId, 'pushed'));
    const response = await grantedBrowser.fetch(
      authorizeUrl(app.clientId, body.request_uri as string, {
        redirect_uri: 'https://evil.example/cb',
        state: 'forged',
        scope: 'vault:write',
      }),
    );
    expect(response.status).toBe(303);
    const back = location(response);
    expect(`${back.origin}${back.pathname}`).toBe(REDIRECT);
    expect(back.searchParams.get('state')).toBe('pushed');
    expect(back.searchParams.get('code')).toMatch(/^khac_/);
  });

  it('gives one code when the same request_uri is used in parallel: exactly one wins', async () => {
    const { body } = await push(app, plainRequest(app.clientId));
    const url = authorizeUrl(app.clientId, body.request_uri as string);
    const answers = await Promise.all(Array.from({ length: 6 }, () => grantedBrowser.fetch(url)));
    const params = answers.map((a) => location(a).searchParams);
    expect(params.filter((p) => p.has('code'))).toHaveLength(1);
    expect(params.filter((p) => p.get('error') === 'invalid_request_uri')).toHaveLength(5);
  });

  it('refuses an expired request_uri at the client, as invalid_request_uri', async () => {
    const { body } = await push(app, plainRequest(app.clientId, 'late'));
    // Pushed 61 s ago, as far as the database knows (waiting out the minute would be slow).
    const db = new BetterSqlite3(join(f.dataDir, 'keyhold.db'));
    try {
      const hash = createHash('sha256')
        .update(body.request_uri as string)
        .digest();
      const past = new Date(Date.now() - 1000).toISOString();
      const changed = db
        .prepare('update oauth_pushed_requests set expires_at = ? where uri_hash = ?')
        .run(past, hash);
      expect(changed.changes).toBe(1);
    } finally {
      db.close();
    }
    const response = await grantedBrowser.fetch(authorizeUrl(app.clientId, body.request_uri as string));
    expect(Object.fromEntries(location(response).searchParams)).toMatchObject({
      error: 'invalid_request_uri',
      error_description: 'request_uri has expired: push the request again',
      state: 'late',
    });
  });

  it("shows an error page, and redirects nowhere, for another client's or an unknown request_uri", async () => {
    const { body } = await push(app, plainRequest(app.clientId));
    for (const url of [
      authorizeUrl(other.clientId, body.request_uri as string),
      authorizeUrl(
        app.clientId,
        `urn:ietf:params:oauth:request_uri:${randomBytes(32).toString('base64url')}`,
      ),
      authorizeUrl(app.clientId, 'https://attacker.example/request.jwt'),
    ]) {
      const response = await grantedBrowser.fetch(url);
      expect(response.status).toBe(400);
      expect(response.headers.get('location')).toBeNull();
      expect(await response.text()).toContain(
        'request_uri is not one this server issued to this client (or it is long expired)',
      );
    }
    // Presented under the wrong client_id, it is still good for its own client.
    const own = await grantedBrowser.fetch(authorizeUrl(app.clientId, body.request_uri as string));
    expect(location(own).searchParams.get('code')).toMatch(/^khac_/);
  });

  it('refuses a bad push in RFC 6749 JSON, redirecting nothing', async () => {
    const cases: [Record<string, string>, number, string, string][] = [
      [
        { ...plainRequest(app.clientId), redirect_uri: 'https://evil.example/cb' },
        400,
        'invalid_request',
        `redirect_uri https://evil.example/cb is not registered for client Pushed app`,
      ],
      [{ ...plainRequest(app.clientId), scope: 'Reports:Read' }, 400, 'invalid_scope', ''],
      [
        { ...plainRequest(app.clientId), request_uri: 'urn:ietf:params:oauth:request_uri:x' },
        400,
        'invalid_request',
        'request_uri cannot be pushed (RFC 9126 §2.1)',
      ],
      [
        { ...plainRequest(app.clientId), state: 'x'.repeat(17 * 1024) },
        400,
        'invalid_request',
        'the authorization request is longer than 16384 characters',
      ],
      [
        { ...plainRequest(app.clientId), client_id: other.clientId },
        400,
        'invalid_request',
        'client_id differs from the authenticated client',
      ],
    ];
    for (const [form, status, error, description] of cases) {
      const answer = await push(app, form);
      expect(answer.status).toBe(status);
      expect(answer.body.error).toBe(error);
      if (description) expect(answer.body.error_description).toBe(description);
    }
    const unauthenticated = await push({ ...app, clientSecret: 'wrong' }, plainRequest(app.clientId));
    expect(unauthenticated).toMatchObject({ status: 401, body: { error: 'invalid_client' } });
  });
});

describe('request objects through PAR (RFC 9101)', () => {
  const client = () => ({ client_id: signed.clientId }) as oauth.Client;
  const pushObject = async (request: string, extra: Record<string, string> = {}) => {
    const response = await oauth.pushedAuthorizationRequest(
      as,
      client(),
      oauth.PrivateKeyJwt(signed.privateKey),
      { request, ...extra },
      insecure,
    );
    return { status: response.status, body: (await response.json()) as Record<string, string> };
  };
  const requestParameters = (state: string, pkce = challenge()) => ({
    response_type: 'code',
    redirect_uri: REDIRECT,
    scope: 'reports:read',
    state,
    code_challenge: pkce.challenge,
    code_challenge_method: 'S256',
  });

  it('oauth4webapi signs the request, pushes it, and the flow ends in tokens; claims alone count', async () => {
    const pkce = challenge();
    const request = await oauth.issueRequestObject(as, client(), requestParameters('from-the-object', pkce), {
      key: signed.privateKey,
    });
    // Parameters beside the object are ignored (RFC 9101 §6.3).
    const response = await oauth.pushedAuthorizationRequest(
      as,
      client(),
      oauth.PrivateKeyJwt(signed.privateKey),
      { request, state: 'beside-the-object', scope: 'vault:read' },
      insecure,
    );
    const { request_uri } = await oauth.processPushedAuthorizationResponse(as, client(), response);
    const callback = await authorizeInteractively(
      new Browser(),
      authorizeUrl(signed.clientId, request_uri),
      user,
    );
    const params = oauth.validateAuthResponse(as, client(), callback, 'from-the-object');
    const tokens = await oauth.processAuthorizationCodeResponse(
      as,
      client(),
      await oauth.authorizationCodeGrantRequest(
        as,
        client(),
        oauth.PrivateKeyJwt(signed.privateKey),
        params,
        REDIRECT,
        pkce.verifier,
        insecure,
      ),
    );
    expect(tokens.scope).toBe('reports:read');
  });

  it('refuses a bad signature, alg none, a wrong aud or iss, no exp, a far exp', async () => {
    const stranger = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, [
      'sign',
      'verify',
    ]);
    const claims = { ...requestParameters('s'), client_id: signed.clientId };
    const now = Math.floor(Date.now() / 1000);
    const sign = (payload: Record<string, unknown>, key: CryptoKey = signed.privateKey) =>
      new SignJWT(payload).setProtectedHeader({ alg: 'ES256', typ: 'oauth-authz-req+jwt' }).sign(key);
    const base64url = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const cases: [string, string][] = [
      [
        await oauth.issueRequestObject(as, client(), requestParameters('s'), { key: stranger.privateKey }),
        'request object refused: signature does not verify',
      ],
      [
        `${base64url({ alg: 'none', typ: 'oauth-authz-req+jwt' })}.${base64url({ ...claims, iss: signed.clientId, aud: f.issuer, exp: now + 60 })}.`,
        'request object alg none is refused: sign it with ES256, RS256, PS256',
      ],
      [
        await oauth.issueRequestObject(
          { ...as, issuer: 'https://elsewhere.example' },
          client(),
          requestParameters('s'),
          {
            key: signed.privateKey,
          },
        ),
        'request object refused: claim aud is wrong: it must be the issuer',
      ],
      [
        await sign({ ...claims, iss: other.clientId, aud: f.issuer, exp: now + 60 }),
        'request object refused: claim iss is wrong: it must be the client id',
      ],
      [
        await sign({ ...claims, iss: signed.clientId, aud: f.issuer }),
        'request object refused: claim exp is missing',
      ],
      [
        await sign({ ...claims, iss: signed.clientId, aud: f.issuer, exp: now + 7200 }),
        'request object exp is more than 3600 seconds ahead',
      ],
      [
        await sign({ ...claims, iss: signed.clientId, aud: f.issuer, exp: now - 120 }),
        'request object refused: it has expired',
      ],
    ];
    for (const [request, description] of cases) {
      expect(await pushObject(request)).toEqual({
        status: 400,
        body: { error: 'invalid_request_object', error_description: description },
      });
    }
  });

  it('refuses a request object sent to /authorize directly (request_not_supported)', async () => {
    const request = await oauth.issueRequestObject(as, client(), requestParameters('s'), {
      key: signed.privateKey,
    });
    const response = await fetch(
      `${f.issuer}/authorize?${new URLSearchParams({ ...plainRequest(signed.clientId, 'direct'), request })}`,
      { redirect: 'manual' },
    );
    expect(Object.fromEntries(location(response).searchParams)).toMatchObject({
      error: 'request_not_supported',
      state: 'direct',
    });
  });
});

describe('the account requires PAR', () => {
  it('refuses a plain authorization request with a clear error, and takes a pushed one', async () => {
    await f.admin('PUT', '/account/policy', { requirePushedAuthorizationRequests: true });
    try {
      const issuer = new URL(f.issuer);
      const metadata = await oauth.processDiscoveryResponse(
        issuer,
        await oauth.discoveryRequest(issuer, { algorithm: 'oauth2', ...insecure }),
      );
      expect(metadata.require_pushed_authorization_requests).toBe(true);
      const plain = await grantedBrowser.fetch(
        `${f.issuer}/authorize?${new URLSearchParams(plainRequest(app.clientId, 'plain'))}`,
      );
      expect(Object.fromEntries(location(plain).searchParams)).toMatchObject({
        error: 'invalid_request',
        error_description:
          'this authorization server requires pushed authorization requests (RFC 9126): push the request to the pushed_authorization_request_endpoint and send its request_uri',
        state: 'plain',
      });
      const { body } = await push(app, plainRequest(app.clientId));
      const pushed = await grantedBrowser.fetch(authorizeUrl(app.clientId, body.request_uri as string));
      expect(location(pushed).searchParams.get('code')).toMatch(/^khac_/);
    } finally {
      await f.admin('PUT', '/account/policy', { requirePushedAuthorizationRequests: false });
    }
  });
});

describe('signed introspection answers (RFC 9701)', () => {
  const rs = () => ({ client_id: reports.id }) as oauth.Client;
  const introspectJwt = async (token: string) => {
    const response = await oauth.introspectionRequest(
      as,
      rs(),
      oauth.ClientSecretBasic(reports.secret),
      token,
      { ...insecure, requestJwtResponse: true },
    );
    expect(response.headers.get('content-type')).toBe('application/token-introspection+jwt');
    const text = await response.clone().text();
    const claims = await oauth.processIntrospectionResponse(as, rs(), response);
    // The signature, by a key of the issuer's JWKS.
    await oauth.validateApplicationLevelSignature(as, response, insecure);
    return { claims, text };
  };

  it('answers a signed JWT for the resource server that asked, active or not', async () => {
    // A user's token to introspect, through a pushed request the user already approved.
    const pkce = challenge();
    const { body: pushed } = await push(app, {
      ...plainRequest(app.clientId),
      code_challenge: pkce.challenge,
    });
    const callback = location(
      await grantedBrowser.fetch(authorizeUrl(app.clientId, pushed.request_uri as string)),
    );
    const appClient = { client_id: app.clientId } as oauth.Client;
    const tokens = await oauth.processAuthorizationCodeResponse(
      as,
      appClient,
      await oauth.authorizationCodeGrantRequest(
        as,
        appClient,
        oauth.ClientSecretBasic(app.clientSecret),
        oauth.validateAuthResponse(as, appClient, callback, 'st'),
        REDIRECT,
        pkce.verifier,
        insecure,
      ),
    );
    const active = await introspectJwt(tokens.access_token);
    expect(active.claims).toMatchObject({
      active: true,
      scope: 'reports:read',
      client_id: app.clientId,
      aud: reports.identifier,
    });
    const [header, payload] = active.text
      .split('.')
      .slice(0, 2)
      .map((part) => JSON.parse(Buffer.from(part, 'base64url').toString('utf8')));
    expect(header).toMatchObject({ alg: 'ES256', typ: 'token-introspection+jwt' });
    expect(payload).toMatchObject({ iss: f.issuer, aud: reports.id });
    expect(typeof payload.iat).toBe('number');
    const inactive = await introspectJwt(`khat_${randomBytes(32).toString('base64url')}`);
    expect(inactive.claims).toEqual({ active: false });
    // Without the Accept header: the same answer as plain JSON.
    const plain = await oauth.introspectionRequest(
      as,
      rs(),
      oauth.ClientSecretBasic(reports.secret),
      tokens.access_token,
      insecure,
    );
    expect(plain.headers.get('content-type')).toMatch(/^application\/json/);
  });
});
