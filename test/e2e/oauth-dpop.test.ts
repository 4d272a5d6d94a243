import * as oauth from 'oauth4webapi';
import * as client from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authorizeInteractively, Browser, type OAuthFixture, startOAuthFixture } from '../helpers/oauth.js';

/**
 * DPoP (RFC 9449) with two independent clients: oauth4webapi v3 for client credentials (opaque
 * tokens, introspected; JWT tokens, validated by oauth4webapi's own resource-server check of
 * `cnf.jkt` and the proof), and openid-client v6 for the code flow through the real pages,
 * refresh of a bound token, and the vault API called with `fetchProtectedResource`. Both retry on
 * `use_dpop_nonce` with the server's `DPoP-Nonce`, which the token endpoint always requires.
 */
let f: OAuthFixture;
let as: oauth.AuthorizationServer;
const insecure = { [oauth.allowInsecureRequests]: true };
let vault: { id: string; name: string };
let reports: { id: string; secret: string; identifier: string };
let analytics: { id: string; secret: string; identifier: string };

beforeAll(async () => {
  f = await startOAuthFixture();
  const issuer = new URL(f.issuer);
  as = await oauth.processDiscoveryResponse(
    issuer,
    await oauth.discoveryRequest(issuer, { algorithm: 'oauth2', ...insecure }),
  );
  vault = await f.admin('POST', '/vaults', { name: 'Personal' });
  const users = await f.admin<{ id: string; email: string }[]>('GET', '/users');
  const owner = users.find((u) => u.email === f.ownerEmail);
  await f.admin('PUT', `/users/${owner?.id}/vaults/${vault.id}`, { permissions: ['read', 'write'] });
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

/** Runs a token request, once more when the server asks for its nonce (the handle has it by then). */
async function retryingNonce<T>(attempt: () => Promise<T>): Promise<T> {
  try {
    return await attempt();
  } catch (error) {
    if (!oauth.isDPoPNonceError(error)) throw error;
    return attempt();
  }
}

const machineClient = (scope: string, extra: Record<string, unknown> = {}) =>
  f.admin<{ clientId: string; clientSecret: string }>('POST', '/clients', {
    name: `machine ${scope}`,
    redirectUris: [],
    scopes: [scope],
    grantTypes: ['client_credentials'],
    ...extra,
  });

describe('metadata', () => {
  it('advertises the DPoP proof algorithms', () => {
    expect(as.dpop_signing_alg_values_supported).toEqual(['ES256', 'EdDSA', 'Ed25519', 'RS256', 'PS256']);
  });
});

describe('client credentials with oauth4webapi', () => {
  it('binds an opaque token to the key: token_type DPoP, cnf.jkt at introspection', async () => {
    const created = await machineClient('reports:read');
    const c: oauth.Client = { client_id: created.clientId };
    const keyPair = await oauth.generateKeyPair('ES256');
    const DPoP = oauth.DPoP(c, keyPair);
    const tokens = await retryingNonce(async () =>
      oauth.processClientCredentialsResponse(
        as,
        c,
        await oauth.clientCredentialsGrantRequest(
          as,
          c,
          oauth.ClientSecretBasic(created.clientSecret),
          { scope: 'reports:read' },
          { DPoP, ...insecure },
        ),
      ),
    );
    expect(tokens.token_type).toBe('dpop');
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
    expect(introspected).toMatchObject({
      active: true,
      token_type: 'DPoP',
      cnf: { jkt: await DPoP.calculateThumbprint() },
    });
  });

  for (const alg of ['ES256', 'EdDSA', 'RS256', 'PS256'] as const) {
    it(`binds a JWT access token with cnf.jkt that oauth4webapi's resource-server check accepts (${alg})`, async () => {
      const created = await machineClient('analytics:read');
      const c: oauth.Client = { client_id: created.clientId };
      const keyPair = await oauth.generateKeyPair(alg);
      const DPoP = oauth.DPoP(c, keyPair);
      const tokens = await retryingNonce(async () =>
        oauth.processClientCredentialsResponse(
          as,
          c,
          await oauth.clientCredentialsGrantRequest(
            as,
            c,
            oauth.ClientSecretBasic(created.clientSecret),
            { scope: 'analytics:read', resource: analytics.identifier },
            { DPoP, ...insecure },
          ),
        ),
      );
      // The resource server's side, by the library: the JWT's cnf.jkt, the proof, its ath.
      const url = 'https://analytics.example.com/data';
      const proofFor = async (token: string) => {
        let proof = '';
        const capture = oauth.DPoP(c, keyPair);
        await oauth.protectedResourceRequest(token, 'GET', new URL(url), new Headers(), null, {
          DPoP: capture,
          [oauth.customFetch]: async (_url, init) => {
            proof = new Headers(init?.headers).get('dpop') ?? '';
            return new Response('{}');
          },
        });
        return proof;
      };
      const request = new Request(url, {
        headers: { authorization: `DPoP ${tokens.access_token}`, dpop: await proofFor(tokens.access_token) },
      });
      const claims = await oauth.validateJwtAccessToken(as, request, analytics.identifier, {
        requireDPoP: true,
        ...insecure,
      });
      expect(claims.cnf?.jkt).toBe(await DPoP.calculateThumbprint());
    });
  }

  it('refuses a client registered with dpop_bound_access_tokens a token without a proof', async () => {
    const created = await machineClient('reports:read', { dpopBoundAccessTokens: true });
    const c: oauth.Client = { client_id: created.clientId };
    const response = await oauth.clientCredentialsGrantRequest(
      as,
      c,
      oauth.ClientSecretBasic(created.clientSecret),
      { scope: 'reports:read' },
      insecure,
    );
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({
      error: 'invalid_dpop_proof',
      error_description: `client ${created.clientId} is registered for DPoP-bound tokens only: send a DPoP proof`,
    });
    const DPoP = oauth.DPoP(c, await oauth.generateKeyPair('ES256'));
    const tokens = await retryingNonce(async () =>
      oauth.processClientCredentialsResponse(
        as,
        c,
        await oauth.clientCredentialsGrantRequest(
          as,
          c,
          oauth.ClientSecretBasic(created.clientSecret),
          { scope: 'reports:read' },
          { DPoP, ...insecure },
        ),
      ),
    );
    expect(tokens.token_type).toBe('dpop');
  });
});

describe('the code flow, refresh and the vault API with openid-client', () => {
  const redirectUri = 'http://127.0.0.1:9997/callback';

  /** A user's DPoP-bound tokens for the vault API through the real sign-in and consent pages. */
  async function signIn(publicClient: boolean) {
    const created = await f.admin<{ clientId: string; clientSecret?: string }>('POST', '/clients', {
      name: publicClient ? 'Desktop app' : 'Web app',
      redirectUris: [redirectUri],
      scopes: ['vault:read', 'vault:write'],
      ...(publicClient ? { public: true } : {}),
    });
    const config = await client.discovery(
      new URL(f.issuer),
      created.clientId,
      publicClient ? { token_endpoint_auth_method: 'none' } : undefined,
      publicClient ? client.None() : client.ClientSecretBasic(created.clientSecret),
      { execute: [client.allowInsecureRequests], algorithm: 'oauth2' },
    );
    const keyPair = await client.randomDPoPKeyPair('ES256');
    const DPoP = client.getDPoPHandle(config, keyPair);
    const verifier = client.randomPKCECodeVerifier();
    const state = client.randomState();
    const authorizeUrl = client.buildAuthorizationUrl(config, {
      redirect_uri: redirectUri,
      scope: `vault:${vault.id}:read vault:${vault.id}:write`,
      code_challenge: await client.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
    });
    const callback = await authorizeInteractively(new Browser(), authorizeUrl.toString(), {
      email: f.ownerEmail,
      password: f.ownerPassword,
    });
    const tokens = await client.authorizationCodeGrant(
      config,
      callback,
      { pkceCodeVerifier: verifier, expectedState: state },
      undefined,
      { DPoP },
    );
    return { config, keyPair, DPoP, tokens };
  }

  const itemsUrl = () => new URL(`${f.url}/api/v1/vaults/${vault.id}/items`);

  it('binds the tokens of a public client, refreshes with the same key, and reads the vault with proofs', async () => {
    const { config, keyPair, DPoP, tokens } = await signIn(true);
    expect(tokens.token_type).toBe('dpop');
    expect(tokens.refresh_token).toBeDefined();

    const listed = await client.fetchProtectedResource(
      config,
      tokens.access_token,
      itemsUrl(),
      'GET',
      undefined,
      undefined,
      { DPoP },
    );
    expect(listed.status).toBe(200);
    expect(await listed.json()).toEqual([]);
    const created = await client.fetchProtectedResource(
      config,
      tokens.access_token,
      itemsUrl(),
      'POST',
      JSON.stringify({
        title: 'Router',
        category: 'LOGIN',
        vault: { id: vault.id },
        fields: [{ id: 'password', type: 'CONCEALED', purpose: 'PASSWORD', value: 'hunter2' }],
      }),
      new Headers({ 'content-type': 'application/json' }),
      { DPoP },
    );
    expect(created.status).toBe(200);

    // The bound refresh token: another key is refused, the same key rotates it.
    const otherKey = client.getDPoPHandle(config, await client.randomDPoPKeyPair('ES256'));
    await expect(
      client.refreshTokenGrant(config, tokens.refresh_token ?? '', undefined, { DPoP: otherKey }),
    ).rejects.toMatchObject({ error: 'invalid_grant' });
    const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token ?? '', undefined, {
      DPoP: client.getDPoPHandle(config, keyPair),
    });
    expect(refreshed.token_type).toBe('dpop');
    const again = await client.fetchProtectedResource(
      config,
      refreshed.access_token,
      itemsUrl(),
      'GET',
      undefined,
      undefined,
      { DPoP },
    );
    expect(again.status).toBe(200);
    expect(((await again.json()) as { title: string }[]).map((i) => i.title)).toEqual(['Router']);
  });

  it('refuses a bound refresh token without a proof, and a bound access token sent as Bearer', async () => {
    const { config, tokens } = await signIn(true);
    await expect(client.refreshTokenGrant(config, tokens.refresh_token ?? '')).rejects.toMatchObject({
      error: 'invalid_dpop_proof',
    });
    const asBearer = await fetch(itemsUrl(), { headers: { authorization: `Bearer ${tokens.access_token}` } });
    expect(asBearer.status).toBe(401);
    expect(asBearer.headers.get('www-authenticate')).toBe(
      'DPoP error="invalid_token", error_description="the access token is DPoP-bound: send it as `Authorization: DPoP <token>` with a DPoP proof", algs="ES256 EdDSA Ed25519 RS256 PS256"',
    );
    expect(await asBearer.json()).toEqual({
      status: 401,
      message: 'the access token is DPoP-bound: send it as `Authorization: DPoP <token>` with a DPoP proof',
    });
    // userinfo and grant management take bearer tokens only: the bound token is refused there too.
    const info = await fetch(`${f.issuer}/userinfo`, {
      headers: { authorization: `Bearer ${tokens.access_token}` },
    });
    expect(info.status).toBe(401);
    expect(info.headers.get('www-authenticate')).toContain('error="invalid_token"');
    const grantId = (tokens as { grant_id?: string }).grant_id;
    expect(grantId).toMatch(/^[a-z0-9]{26}$/);
    const managed = await fetch(`${f.issuer}/grant-management/${grantId}`, {
      headers: { authorization: `Bearer ${tokens.access_token}` },
    });
    expect(managed.status).toBe(401);
    expect(((await managed.json()) as { error_description: string }).error_description).toContain(
      'DPoP-bound',
    );
  });

  it('binds a confidential client’s access token but not its refresh token, which it may renew with a new key', async () => {
    const { config, tokens } = await signIn(false);
    expect(tokens.token_type).toBe('dpop');
    const newKey = client.getDPoPHandle(config, await client.randomDPoPKeyPair('ES256'));
    const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token ?? '', undefined, {
      DPoP: newKey,
    });
    expect(refreshed.token_type).toBe('dpop');
    const read = await client.fetchProtectedResource(
      config,
      refreshed.access_token,
      itemsUrl(),
      'GET',
      undefined,
      undefined,
      { DPoP: newKey },
    );
    expect(read.status).toBe(200);
    // Without a proof, the client's refresh gets a bearer token, honoured as Bearer only.
    const bearer = await client.refreshTokenGrant(config, refreshed.refresh_token ?? '');
    expect(bearer.token_type).toBe('bearer');
    const plain = await fetch(itemsUrl(), { headers: { authorization: `Bearer ${bearer.access_token}` } });
    expect(plain.status).toBe(200);
    const asDpop = await client
      .fetchProtectedResource(config, bearer.access_token, itemsUrl(), 'GET', undefined, undefined, {
        DPoP: newKey,
      })
      .then(
        () => undefined,
        (error: unknown) => error as { response: Response; cause: oauth.WWWAuthenticateChallenge[] },
      );
    expect(asDpop?.response.status).toBe(401);
    expect(asDpop?.cause).toEqual([
      {
        scheme: 'dpop',
        parameters: {
          error: 'invalid_token',
          error_description: 'the access token is not DPoP-bound: send it as `Authorization: Bearer <token>`',
          algs: 'ES256 EdDSA Ed25519 RS256 PS256',
        },
      },
    ]);
  });
});
