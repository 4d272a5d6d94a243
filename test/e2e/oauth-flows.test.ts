import * as oauth from 'oauth4webapi';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authorizeInteractively, Browser, type OAuthFixture, startOAuthFixture } from '../helpers/oauth.js';

/**
 * The authorization server driven by an external strict client, oauth4webapi v3: discovery,
 * code + PKCE through the real sign-in and consent pages, refresh rotation, client credentials,
 * introspection, revocation and RFC 9068 JWT access tokens.
 */
let f: OAuthFixture;
let as: oauth.AuthorizationServer;
const insecure = { [oauth.allowInsecureRequests]: true };
let vaultA: { id: string; name: string };
let vaultB: { id: string; name: string };
let reports: { id: string; secret: string; identifier: string };
let analytics: { id: string; secret: string; identifier: string };

beforeAll(async () => {
  f = await startOAuthFixture();
  const issuer = new URL(f.issuer);
  as = await oauth.processDiscoveryResponse(
    issuer,
    await oauth.discoveryRequest(issuer, { algorithm: 'oauth2', ...insecure }),
  );
  vaultA = await f.admin('POST', '/vaults', { name: 'Personal' });
  vaultB = await f.admin('POST', '/vaults', { name: 'Work' });
  const users = await f.admin<{ id: string; email: string }[]>('GET', '/users');
  const owner = users.find((u) => u.email === f.ownerEmail);
  for (const v of [vaultA, vaultB]) {
    await f.admin('PUT', `/users/${owner?.id}/vaults/${v.id}`, { permissions: ['read', 'write'] });
  }
  reports = await f.admin('POST', '/resource-servers', {
    identifier: 'https://reports.example.com',
    name: 'Reports',
    scopes: [{ name: 'reports:read', description: 'Read reports' }],
  });
  analytics = await f.admin('POST', '/resource-servers', {
    identifier: 'https://analytics.example.com',
    name: 'Analytics',
    tokenFormat: 'jwt',
    scopes: [{ name: 'analytics:read', description: 'Read analytics' }],
  });
}, 60_000);

afterAll(async () => {
  await f?.close();
});

describe('discovery', () => {
  it('publishes exact RFC 8414 metadata', () => {
    expect(as.issuer).toBe(f.issuer);
    expect(as.code_challenge_methods_supported).toEqual(['S256']);
    expect(as.authorization_response_iss_parameter_supported).toBe(true);
    expect(as.response_types_supported).toEqual(['code']);
    expect(as.grant_types_supported).not.toContain('password');
    expect(as.grant_types_supported).not.toContain('implicit');
  });

  it('lists the common scopes, as registrations change: never an exclusive one or a pattern', async () => {
    const scopes = async () => {
      const issuer = new URL(f.issuer);
      const found = await oauth.processDiscoveryResponse(
        issuer,
        await oauth.discoveryRequest(issuer, { algorithm: 'oauth2', ...insecure }),
      );
      return [...(found.scopes_supported ?? [])].sort();
    };
    // OpenID Connect's scopes are built in, like the vault API's.
    expect(await scopes()).toEqual([
      'analytics:read',
      'email',
      'openid',
      'profile',
      'reports:read',
      'vault:read',
      'vault:write',
    ]);
    const billing = await f.admin<{ id: string }>('POST', '/resource-servers', {
      identifier: 'https://billing.example.com',
      name: 'Billing',
      scopes: [
        { name: 'billing:read', description: 'Read invoices' },
        { name: 'billing:admin', description: 'Change plans', exclusive: true },
      ],
    });
    expect(await scopes()).toEqual([
      'analytics:read',
      'billing:read',
      'email',
      'openid',
      'profile',
      'reports:read',
      'vault:read',
      'vault:write',
    ]);
    await f.admin('DELETE', `/resource-servers/${billing.id}`);
    expect(await scopes()).not.toContain('billing:read');
  });
});

describe('client credentials', () => {
  it('issues an opaque token that the resource server introspects, then revokes it', async () => {
    const created = await f.admin<{ clientId: string; clientSecret: string }>('POST', '/clients', {
      name: 'cron job',
      redirectUris: [],
      scopes: ['reports:read'],
      grantTypes: ['client_credentials'],
    });
    const client: oauth.Client = { client_id: created.clientId };
    const auth = oauth.ClientSecretBasic(created.clientSecret);
    const response = await oauth.clientCredentialsGrantRequest(
      as,
      client,
      auth,
      { scope: 'reports:read' },
      insecure,
    );
    const tokens = await oauth.processClientCredentialsResponse(as, client, response);
    expect(tokens.token_type).toBe('bearer');
    expect(tokens.scope).toBe('reports:read');
    expect(tokens.refresh_token).toBeUndefined();

    const rs: oauth.Client = { client_id: reports.id };
    const rsAuth = oauth.ClientSecretBasic(reports.secret);
    const introspected = await oauth.processIntrospectionResponse(
      as,
      rs,
      await oauth.introspectionRequest(as, rs, rsAuth, tokens.access_token, insecure),
    );
    expect(introspected).toMatchObject({
      active: true,
      scope: 'reports:read',
      client_id: created.clientId,
      sub: created.clientId,
      aud: reports.identifier,
      iss: f.issuer,
    });
    // Another resource server learns nothing about a token that is not for it.
    const other: oauth.Client = { client_id: analytics.id };
    const foreign = await oauth.processIntrospectionResponse(
      as,
      other,
      await oauth.introspectionRequest(
        as,
        other,
        oauth.ClientSecretBasic(analytics.secret),
        tokens.access_token,
        insecure,
      ),
    );
    expect(foreign).toEqual({ active: false });

    await oauth.processRevocationResponse(
      await oauth.revocationRequest(as, client, auth, tokens.access_token, insecure),
    );
    const after = await oauth.processIntrospectionResponse(
      as,
      rs,
      await oauth.introspectionRequest(as, rs, rsAuth, tokens.access_token, insecure),
    );
    expect(after).toEqual({ active: false });
  });

  it('issues RFC 9068 JWT access tokens to a resource server that asks, valid under validateJwtAccessToken', async () => {
    const created = await f.admin<{ clientId: string; clientSecret: string }>('POST', '/clients', {
      name: 'dashboard',
      redirectUris: [],
      scopes: ['analytics:read'],
      grantTypes: ['client_credentials'],
      authMethod: 'client_secret_post',
    });
    const client: oauth.Client = { client_id: created.clientId };
    const tokens = await oauth.processClientCredentialsResponse(
      as,
      client,
      await oauth.clientCredentialsGrantRequest(
        as,
        client,
        oauth.ClientSecretPost(created.clientSecret),
        { scope: 'analytics:read', resource: analytics.identifier },
        insecure,
      ),
    );
    const request = new Request('https://analytics.example.com/data', {
      headers: { authorization: `Bearer ${tokens.access_token}` },
    });
    const claims = await oauth.validateJwtAccessToken(as, request, analytics.identifier, insecure);
    expect(claims).toMatchObject({
      iss: f.issuer,
      aud: analytics.identifier,
      client_id: created.clientId,
      sub: created.clientId,
      scope: 'analytics:read',
    });
    // The wrong audience is refused by the resource server's own validation.
    await expect(oauth.validateJwtAccessToken(as, request, reports.identifier, insecure)).rejects.toThrow();
  });

  it('authenticates private_key_jwt clients, once per assertion', async () => {
    const { privateKey, publicKey } = await crypto.subtle.generateKey(
      { name: 'ECDSA', namedCurve: 'P-256' },
      true,
      ['sign', 'verify'],
    );
    const jwk = await crypto.subtle.exportKey('jwk', publicKey);
    const created = await f.admin<{ clientId: string }>('POST', '/clients', {
      name: 'signed',
      redirectUris: [],
      scopes: ['reports:read'],
      grantTypes: ['client_credentials'],
      jwks: { keys: [{ kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y }] },
    });
    const client: oauth.Client = { client_id: created.clientId };
    const tokens = await oauth.processClientCredentialsResponse(
      as,
      client,
      await oauth.clientCredentialsGrantRequest(
        as,
        client,
        oauth.PrivateKeyJwt(privateKey),
        { scope: 'reports:read' },
        insecure,
      ),
    );
    expect(tokens.scope).toBe('reports:read');
  });
});

describe('interoperability', () => {
  const secretClient = (authMethod: string) =>
    f.admin<{ clientId: string; clientSecret: string }>('POST', '/clients', {
      name: `registered ${authMethod}`,
      redirectUris: [],
      scopes: ['reports:read'],
      grantTypes: ['client_credentials'],
      authMethod,
    });
  const tokenWith = (clientId: string, auth: oauth.ClientAuth) =>
    oauth.clientCredentialsGrantRequest(
      as,
      { client_id: clientId },
      auth,
      { scope: 'reports:read' },
      insecure,
    );

  it('takes a secret by HTTP Basic or in the form, whichever the client registered (RFC 6749 §2.3.1)', async () => {
    for (const registered of ['client_secret_post', 'client_secret_basic']) {
      const created = await secretClient(registered);
      for (const auth of [
        oauth.ClientSecretBasic(created.clientSecret),
        oauth.ClientSecretPost(created.clientSecret),
      ]) {
        const tokens = await oauth.processClientCredentialsResponse(
          as,
          { client_id: created.clientId },
          await tokenWith(created.clientId, auth),
        );
        expect(tokens.scope).toBe('reports:read');
      }
      // The wrong secret is refused either way.
      const wrong = await tokenWith(created.clientId, oauth.ClientSecretBasic(`${created.clientSecret}x`));
      expect(wrong.status).toBe(401);
      expect(await wrong.json()).toMatchObject({ error: 'invalid_client' });
    }
  });

  it('gives a client credentials request without scope the scopes the client registered, of one resource server', async () => {
    const single = await secretClient('client_secret_basic');
    const plain = (clientId: string, secret: string, fields: Record<string, string>) =>
      fetch(`${f.issuer}/token`, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          authorization: `Basic ${Buffer.from(`${clientId}:${secret}`).toString('base64')}`,
        },
        body: new URLSearchParams({ grant_type: 'client_credentials', ...fields }).toString(),
      });
    const defaulted = await plain(single.clientId, single.clientSecret, {});
    expect(defaulted.status).toBe(200);
    expect(await defaulted.json()).toMatchObject({ scope: 'reports:read' });

    const both = await f.admin<{ clientId: string; clientSecret: string }>('POST', '/clients', {
      name: 'two audiences',
      redirectUris: [],
      scopes: ['reports:read', 'analytics:read'],
      grantTypes: ['client_credentials'],
    });
    const ambiguous = await plain(both.clientId, both.clientSecret, {});
    expect(ambiguous.status).toBe(400);
    expect(await ambiguous.json()).toEqual({
      error: 'invalid_scope',
      error_description: `client ${both.clientId} is registered for scopes of several resource servers (${reports.identifier}, ${analytics.identifier}): give \`scope\` or \`resource\``,
    });
    const named = await plain(both.clientId, both.clientSecret, { resource: analytics.identifier });
    expect(named.status).toBe(200);
    expect(await named.json()).toMatchObject({ scope: 'analytics:read' });
  });

  it('never takes a secret from a client registered with keys', async () => {
    const { publicKey } = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, [
      'sign',
      'verify',
    ]);
    const jwk = await crypto.subtle.exportKey('jwk', publicKey);
    const created = await f.admin<{ clientId: string }>('POST', '/clients', {
      name: 'keys only',
      redirectUris: [],
      scopes: ['reports:read'],
      grantTypes: ['client_credentials'],
      jwks: { keys: [{ kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y }] },
    });
    const refused = await tokenWith(created.clientId, oauth.ClientSecretBasic('a'.repeat(43)));
    expect(refused.status).toBe(401);
    expect(await refused.json()).toMatchObject({
      error: 'invalid_client',
      error_description: `client ${created.clientId} authenticates with private_key_jwt, not client_secret_basic`,
    });
  });

  it('answers a revocation with an empty JSON object, for a live token and an unknown one alike', async () => {
    const created = await secretClient('client_secret_basic');
    const auth = oauth.ClientSecretBasic(created.clientSecret);
    const tokens = await oauth.processClientCredentialsResponse(
      as,
      { client_id: created.clientId },
      await tokenWith(created.clientId, auth),
    );
    for (const token of [tokens.access_token, 'no-such-token']) {
      const response = await oauth.revocationRequest(
        as,
        { client_id: created.clientId },
        auth,
        token,
        insecure,
      );
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toMatch(/^application\/json/);
      expect(await response.text()).toBe('{}');
    }
    const rs: oauth.Client = { client_id: reports.id };
    const introspected = await oauth.processIntrospectionResponse(
      as,
      rs,
      await oauth.introspectionRequest(
        as,
        rs,
        oauth.ClientSecretBasic(reports.secret),
        tokens.access_token,
        insecure,
      ),
    );
    expect(introspected).toEqual({ active: false });
  });
});

describe('authorization code with PKCE, consent and refresh', () => {
  it('runs the whole flow: sign-in, partial consent, tokens, refresh rotation, revocation', async () => {
    const redirectUri = 'http://127.0.0.1:9999/callback';
    const created = await f.admin<{ clientId: string; clientSecret: string }>('POST', '/clients', {
      name: 'Budget app',
      redirectUris: [redirectUri],
      scopes: ['vault:read'],
    });
    const client: oauth.Client = { client_id: created.clientId };
    const auth = oauth.ClientSecretBasic(created.clientSecret);
    const verifier = oauth.generateRandomCodeVerifier();
    const state = oauth.generateRandomState();
    const authorizeUrl = new URL(as.authorization_endpoint ?? '');
    authorizeUrl.search = new URLSearchParams({
      response_type: 'code',
      client_id: client.client_id,
      redirect_uri: redirectUri,
      scope: 'vault:read',
      state,
      code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
    }).toString();
    const browser = new Browser();
    const callback = await authorizeInteractively(
      browser,
      authorizeUrl.toString(),
      { email: f.ownerEmail, password: f.ownerPassword },
      (options) => {
        expect(options.map((o) => o.label).sort()).toEqual(['Personal', 'Work']);
        return options.filter((o) => o.label === 'Personal').map((o) => o.scope);
      },
    );
    expect(`${callback.origin}${callback.pathname}`).toBe(redirectUri);
    const params = oauth.validateAuthResponse(as, client, callback, state);
    const tokens = await oauth.processAuthorizationCodeResponse(
      as,
      client,
      await oauth.authorizationCodeGrantRequest(as, client, auth, params, redirectUri, verifier, insecure),
    );
    expect(tokens.scope).toBe(`vault:${vaultA.id}:read`);
    expect(tokens.refresh_token).toBeDefined();

    // Refresh rotates: the new refresh token works, the old one is now reuse.
    const refreshed = await oauth.processRefreshTokenResponse(
      as,
      client,
      await oauth.refreshTokenGrantRequest(as, client, auth, tokens.refresh_token ?? '', insecure),
    );
    expect(refreshed.refresh_token).not.toBe(tokens.refresh_token);
    expect(refreshed.scope).toBe(tokens.scope);

    // Remembered consent: the same request goes straight back with a code, no page.
    const again = await browser.fetch(authorizeUrl.toString());
    expect(again.status).toBe(303);
    expect(again.headers.get('location')).toContain('code=');

    await oauth.processRevocationResponse(
      await oauth.revocationRequest(as, client, auth, refreshed.refresh_token ?? '', insecure),
    );
    await expect(
      oauth.processRefreshTokenResponse(
        as,
        client,
        await oauth.refreshTokenGrantRequest(as, client, auth, refreshed.refresh_token ?? '', insecure),
      ),
    ).rejects.toMatchObject({ error: 'invalid_grant' });
  });
});

describe('public clients', () => {
  it('run code + PKCE and refresh with no client secret, and cannot use client credentials', async () => {
    const redirectUri = 'http://127.0.0.1:9998/callback';
    const created = await f.admin<{ clientId: string; clientSecret?: string; authMethod: string }>(
      'POST',
      '/clients',
      {
        name: 'Desktop app',
        redirectUris: [redirectUri],
        scopes: ['vault:read'],
        public: true,
      },
    );
    expect(created.clientSecret).toBeUndefined();
    expect(created.authMethod).toBe('none');
    const client: oauth.Client = { client_id: created.clientId, token_endpoint_auth_method: 'none' };
    const auth = oauth.None();
    const verifier = oauth.generateRandomCodeVerifier();
    const authorizeUrl = new URL(as.authorization_endpoint ?? '');
    authorizeUrl.search = new URLSearchParams({
      response_type: 'code',
      client_id: client.client_id,
      redirect_uri: redirectUri,
      scope: `vault:${vaultB.id}:read`,
      code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
    }).toString();
    const callback = await authorizeInteractively(new Browser(), authorizeUrl.toString(), {
      email: f.ownerEmail,
      password: f.ownerPassword,
    });
    const params = oauth.validateAuthResponse(as, client, callback, oauth.expectNoState);
    const tokens = await oauth.processAuthorizationCodeResponse(
      as,
      client,
      await oauth.authorizationCodeGrantRequest(as, client, auth, params, redirectUri, verifier, insecure),
    );
    // A one-vault scope asked for by name is granted as asked.
    expect(tokens.scope).toBe(`vault:${vaultB.id}:read`);
    const refreshed = await oauth.processRefreshTokenResponse(
      as,
      client,
      await oauth.refreshTokenGrantRequest(as, client, auth, tokens.refresh_token ?? '', insecure),
    );
    expect(refreshed.scope).toBe(tokens.scope);
    const items = await fetch(`${f.url}/api/v1/vaults/${vaultB.id}/items`, {
      headers: { authorization: `Bearer ${refreshed.access_token}` },
    });
    expect(items.status).toBe(200);
    const other = await fetch(`${f.url}/api/v1/vaults/${vaultA.id}/items`, {
      headers: { authorization: `Bearer ${refreshed.access_token}` },
    });
    expect(other.status).toBe(403);
    await expect(
      f.admin('POST', '/clients', {
        name: 'public machine',
        redirectUris: [],
        scopes: ['reports:read'],
        public: true,
        grantTypes: ['client_credentials'],
      }),
    ).rejects.toThrow(/public client cannot use client_credentials/);
  });
});
