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
 * Per-client profiles of the authorization server, black-box over real HTTP: RFC 9126 §6
 * `require_pushed_authorization_requests`, the FAPI 2.0 Security Profile (openid-client v6 runs
 * the whole flow: private_key_jwt, PAR with a DPoP proof, the real pages, DPoP-bound tokens; then
 * each rule the profile adds is refused on its own), and RFC 9449 §10 `dpop_jkt` code binding
 * (oauth4webapi's DPoP handles sign the proofs).
 */
let f: OAuthFixture;
let as: oauth.AuthorizationServer;
const insecure = { [oauth.allowInsecureRequests]: true };
const REDIRECT = 'https://app.example.com/cb';
let user: { email: string; password: string };
/** A browser signed in as the owner (after the first flow). */
const browser = new Browser();

const pkce = () => {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
};
const location = (response: Response) => new URL(response.headers.get('location') ?? 'about:blank', f.url);
const form = (o: Record<string, string>) => new URLSearchParams(o);

async function keyPair() {
  const keys = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, [
    'sign',
    'verify',
  ]);
  const jwk = await crypto.subtle.exportKey('jwk', keys.publicKey);
  return {
    privateKey: keys.privateKey,
    jwks: { keys: [{ kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y }] },
  };
}

/** Runs a request once more when the server asks for its DPoP nonce (the handle has it by then). */
async function retryingNonce<T>(attempt: () => Promise<T>): Promise<T> {
  try {
    return await attempt();
  } catch (error) {
    if (!oauth.isDPoPNonceError(error)) throw error;
    return attempt();
  }
}

beforeAll(async () => {
  f = await startOAuthFixture();
  const issuer = new URL(f.issuer);
  as = await oauth.processDiscoveryResponse(
    issuer,
    await oauth.discoveryRequest(issuer, { algorithm: 'oauth2', ...insecure }),
  );
  user = { email: f.ownerEmail, password: f.ownerPassword };
  await f.admin('POST', '/resource-servers', {
    identifier: 'https://reports.example.com',
    name: 'Reports',
    scopes: [{ name: 'reports:read', description: 'Read reports' }],
  });
}, 60_000);

afterAll(async () => {
  await f?.close();
});

type Registered = { clientId: string; clientSecret: string };
/** A response's JSON body. */
const json = async <T = Record<string, unknown>>(response: Response | Promise<Response>) =>
  (await (await response).json()) as T;
/** POST /api/admin/clients: an app registered for the code flow at REDIRECT, unless `body` says otherwise. */
const register = (body: Record<string, unknown>) =>
  fetch(`${f.url}/api/admin/clients`, {
    method: 'POST',
    headers: { authorization: `Bearer ${f.adminToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      name: 'App',
      redirectUris: [REDIRECT],
      scopes: ['reports:read'],
      grantTypes: ['authorization_code'],
      ...body,
    }),
  });

describe('require_pushed_authorization_requests per client (RFC 9126 §6)', () => {
  let par: { clientId: string; clientSecret: string };
  let plain: { clientId: string; clientSecret: string };
  const query = (clientId: string) =>
    `${f.issuer}/authorize?${form({
      response_type: 'code',
      client_id: clientId,
      redirect_uri: REDIRECT,
      scope: 'reports:read',
      state: 'st',
      code_challenge: pkce().challenge,
      code_challenge_method: 'S256',
    })}`;

  beforeAll(async () => {
    par = await json<Registered>(register({ name: 'PAR only', requirePushedAuthorizationRequests: true }));
    plain = await json<Registered>(register({ name: 'Plain' }));
  });

  it('is shown in the client’s registration', async () => {
    const shown = await f.admin<Record<string, unknown>>('GET', `/clients/${par.clientId}`);
    expect(shown).toMatchObject({
      requirePushedAuthorizationRequests: true,
      fapi2SecurityProfile: false,
      dpopBoundAccessTokens: false,
    });
  });

  it('refuses the client’s authorization request sent through the browser, at its redirect URI with iss', async () => {
    const response = await fetch(query(par.clientId), { redirect: 'manual' });
    expect(response.status).toBe(303);
    expect(Object.fromEntries(location(response).searchParams)).toEqual({
      error: 'invalid_request',
      error_description:
        'client PAR only is registered for pushed authorization requests only (RFC 9126 §6): push the request to the pushed_authorization_request_endpoint and send its request_uri',
      state: 'st',
      iss: f.issuer,
    });
  });

  it('leaves other clients of the account alone', async () => {
    const response = await fetch(query(plain.clientId), { redirect: 'manual' });
    expect(response.status).toBe(303);
    expect(location(response).pathname).toMatch(/\/login$/);
  });

  it('takes the pushed request of the same client through to tokens (openid-client)', async () => {
    const config = await discoverClient(f.issuer, par, REDIRECT);
    const verifier = openid.randomPKCECodeVerifier();
    const url = await openid.buildAuthorizationUrlWithPAR(config, {
      redirect_uri: REDIRECT,
      scope: 'reports:read',
      code_challenge: await openid.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
    });
    const callback = await authorizeInteractively(browser, url.toString(), user);
    const tokens = await openid.authorizationCodeGrant(config, callback, { pkceCodeVerifier: verifier });
    expect(tokens.token_type).toBe('bearer');
    expect(tokens.scope).toBe('reports:read');
  });
});

describe('the FAPI 2.0 Security Profile per client', () => {
  describe('registration', () => {
    it('refuses a client without public keys: the profile authenticates with private_key_jwt only', async () => {
      const response = await register({ fapi2SecurityProfile: true });
      expect(response.status).toBe(400);
      expect((await json(response)).message).toBe(
        'the FAPI 2.0 Security Profile authenticates clients with private_key_jwt only (not client_secret_basic): register the client with its public keys (jwks)',
      );
    });

    it('refuses a public client', async () => {
      const response = await register({ fapi2SecurityProfile: true, public: true });
      expect(response.status).toBe(400);
      expect((await json(response)).message).toBe(
        'the FAPI 2.0 Security Profile is for confidential clients only: a public client cannot be held to it',
      );
    });

    it('registers a private_key_jwt client, with PAR and DPoP required', async () => {
      const response = await register({ fapi2SecurityProfile: true, jwks: (await keyPair()).jwks });
      expect(response.status).toBe(201);
      const created = await json(response);
      expect(created).toMatchObject({
        authMethod: 'private_key_jwt',
        fapi2SecurityProfile: true,
        requirePushedAuthorizationRequests: true,
        dpopBoundAccessTokens: true,
      });
      expect(created).not.toHaveProperty('clientSecret');
    });
  });

  describe('a profiled client', () => {
    let fapi: { clientId: string; privateKey: CryptoKey };

    /** A client assertion (RFC 7523) of the profiled client; `aud` the issuer unless given. */
    const assertion = (aud: string | string[] = f.issuer) =>
      new SignJWT({})
        .setProtectedHeader({ alg: 'ES256' })
        .setIssuer(fapi.clientId)
        .setSubject(fapi.clientId)
        .setAudience(aud)
        .setIssuedAt()
        .setExpirationTime('1m')
        .setJti(randomBytes(16).toString('hex'))
        .sign(fapi.privateKey);
    const authenticated = async (fields: Record<string, string>, aud?: string | string[]) => ({
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
      client_assertion: await assertion(aud),
      ...fields,
    });
    const pushRequest = (extra: Record<string, string> = {}) => ({
      response_type: 'code',
      client_id: fapi.clientId,
      redirect_uri: REDIRECT,
      scope: 'reports:read',
      state: 'fapi',
      code_challenge: pkce().challenge,
      code_challenge_method: 'S256',
      ...extra,
    });
    const push = async (fields: Record<string, string>, aud?: string | string[]) => {
      const response = await fetch(`${f.issuer}/par`, {
        method: 'POST',
        body: form(await authenticated(fields, aud)),
      });
      return { status: response.status, body: (await response.json()) as Record<string, unknown> };
    };

    beforeAll(async () => {
      const keys = await keyPair();
      const created = await json<Registered>(
        register({ name: 'Bank app', fapi2SecurityProfile: true, jwks: keys.jwks }),
      );
      fapi = { clientId: created.clientId, privateKey: keys.privateKey };
    });

    const config = async () =>
      openid.discovery(
        new URL(f.issuer),
        fapi.clientId,
        { redirect_uris: [REDIRECT] },
        openid.PrivateKeyJwt(fapi.privateKey),
        { algorithm: 'oauth2', execute: [openid.allowInsecureRequests] },
      );

    it('runs the flow with openid-client: private_key_jwt, PAR with DPoP, iss in the answer, DPoP-bound tokens', async () => {
      const c = await config();
      const DPoP = openid.getDPoPHandle(c, await openid.randomDPoPKeyPair('ES256'));
      const verifier = openid.randomPKCECodeVerifier();
      const url = await retryingNonce(async () =>
        openid.buildAuthorizationUrlWithPAR(
          c,
          {
            redirect_uri: REDIRECT,
            scope: 'reports:read',
            code_challenge: await openid.calculatePKCECodeChallenge(verifier),
            code_challenge_method: 'S256',
          },
          { DPoP },
        ),
      );
      const callback = await authorizeInteractively(browser, url.toString(), user);
      // RFC 9207: the authorization response names its issuer (openid-client checks it too).
      expect(callback.searchParams.get('iss')).toBe(f.issuer);
      const tokens = await retryingNonce(async () =>
        openid.authorizationCodeGrant(c, callback, { pkceCodeVerifier: verifier }, undefined, { DPoP }),
      );
      expect(tokens.token_type).toBe('dpop');
      expect(tokens.scope).toBe('reports:read');
    });

    it('refuses an authorization request that is not pushed', async () => {
      const response = await browser.fetch(`${f.issuer}/authorize?${form(pushRequest())}`);
      expect(response.status).toBe(303);
      expect(Object.fromEntries(location(response).searchParams)).toMatchObject({
        error: 'invalid_request',
        state: 'fapi',
        iss: f.issuer,
      });
      expect(location(response).searchParams.get('error_description')).toContain(
        'registered for pushed authorization requests only',
      );
    });

    it('refuses a code redeemed without a DPoP proof (sender-constrained tokens only)', async () => {
      const { verifier, challenge } = pkce();
      const pushed = await push(pushRequest({ code_challenge: challenge }));
      expect(pushed.status).toBe(201);
      const callback = await authorizeInteractively(
        browser,
        `${f.issuer}/authorize?${form({ client_id: fapi.clientId, request_uri: pushed.body.request_uri as string })}`,
        user,
      );
      const response = await fetch(`${f.issuer}/token`, {
        method: 'POST',
        body: form(
          await authenticated({
            grant_type: 'authorization_code',
            code: callback.searchParams.get('code') ?? '',
            redirect_uri: REDIRECT,
            code_verifier: verifier,
          }),
        ),
      });
      expect(response.status).toBe(400);
      expect(await response.json()).toEqual({
        error: 'invalid_dpop_proof',
        error_description: `client ${fapi.clientId} is registered for DPoP-bound tokens only: send a DPoP proof`,
      });
    });

    it('refuses client authentication by secret', async () => {
      const response = await fetch(`${f.issuer}/par`, {
        method: 'POST',
        headers: { authorization: `Basic ${Buffer.from(`${fapi.clientId}:khcs_guess`).toString('base64')}` },
        body: form(pushRequest()),
      });
      expect(response.status).toBe(401);
      expect(await response.json()).toEqual({
        error: 'invalid_client',
        error_description: `client ${fapi.clientId} authenticates with private_key_jwt, not client_secret_basic`,
      });
    });

    it('accepts only the issuer, as a string, as the audience of its client assertions', async () => {
      for (const aud of [`${f.issuer}/par`, `${f.issuer}/token`]) {
        expect(await push(pushRequest(), aud)).toEqual({
          status: 401,
          body: {
            error: 'invalid_client',
            error_description: 'client assertion is invalid, expired or not meant for this server',
          },
        });
      }
      expect(await push(pushRequest(), [f.issuer])).toEqual({
        status: 401,
        body: {
          error: 'invalid_client',
          error_description:
            'client assertion aud must be the issuer identifier alone, as a string (FAPI 2.0)',
        },
      });
      expect((await push(pushRequest(), f.issuer)).status).toBe(201);
    });

    it('refuses a pushed request without PKCE, or with the plain method', async () => {
      const { code_challenge: _, ...withoutChallenge } = pushRequest();
      expect(await push(withoutChallenge)).toEqual({
        status: 400,
        body: {
          error: 'invalid_request',
          error_description: 'code_challenge is missing: PKCE (S256) is required',
        },
      });
      expect(await push(pushRequest({ code_challenge_method: 'plain' }))).toEqual({
        status: 400,
        body: { error: 'invalid_request', error_description: 'code_challenge_method must be S256' },
      });
    });

    it('refuses a pushed request without redirect_uri', async () => {
      const { redirect_uri: _, ...withoutRedirect } = pushRequest();
      expect(await push(withoutRedirect)).toEqual({
        status: 400,
        body: {
          error: 'invalid_request',
          error_description: 'redirect_uri is missing or repeated: send the registered redirect URI',
        },
      });
    });

    it('refuses any response_type but code', async () => {
      for (const responseType of ['token', 'code id_token']) {
        expect(await push(pushRequest({ response_type: responseType }))).toEqual({
          status: 400,
          body: {
            error: 'unsupported_response_type',
            error_description: `response_type ${responseType} is not supported; use code`,
          },
        });
      }
    });

    it('issues codes that live 60 s at most, and refuses one past its time', async () => {
      const c = await config();
      const DPoP = openid.getDPoPHandle(c, await openid.randomDPoPKeyPair('ES256'));
      const verifier = openid.randomPKCECodeVerifier();
      const url = await retryingNonce(async () =>
        openid.buildAuthorizationUrlWithPAR(
          c,
          {
            redirect_uri: REDIRECT,
            scope: 'reports:read',
            code_challenge: await openid.calculatePKCECodeChallenge(verifier),
            code_challenge_method: 'S256',
          },
          { DPoP },
        ),
      );
      const callback = await authorizeInteractively(browser, url.toString(), user);
      const code = callback.searchParams.get('code') ?? '';
      const db = new BetterSqlite3(join(f.dataDir, 'keyhold.db'));
      try {
        const hash = createHash('sha256').update(code).digest();
        const row = db
          .prepare('select created_at, expires_at from oauth_codes where code_hash = ?')
          .get(hash) as { created_at: string; expires_at: string };
        expect(Date.parse(row.expires_at) - Date.parse(row.created_at)).toBeLessThanOrEqual(60_000);
        // Its minute is over, as far as the database knows (waiting it out would be slow).
        const past = new Date(Date.now() - 1000).toISOString();
        expect(
          db.prepare('update oauth_codes set expires_at = ? where code_hash = ?').run(past, hash).changes,
        ).toBe(1);
      } finally {
        db.close();
      }
      await expect(
        retryingNonce(async () =>
          openid.authorizationCodeGrant(c, callback, { pkceCodeVerifier: verifier }, undefined, { DPoP }),
        ),
      ).rejects.toMatchObject({
        error: 'invalid_grant',
        error_description: 'the code is invalid or expired',
      });
    });
  });
});

describe('dpop_jkt: a code bound to a DPoP key (RFC 9449 §10)', () => {
  let app: { clientId: string; clientSecret: string };
  let c: oauth.Client;

  beforeAll(async () => {
    app = await json<Registered>(register({ name: 'Bound codes' }));
    c = { client_id: app.clientId };
  });

  /** A code of `app` from a browser request carrying `extra` (e.g. dpop_jkt), with its verifier. */
  async function codeFor(extra: Record<string, string>) {
    const { verifier, challenge } = pkce();
    const callback = await authorizeInteractively(
      browser,
      `${f.issuer}/authorize?${form({
        response_type: 'code',
        client_id: app.clientId,
        redirect_uri: REDIRECT,
        scope: 'reports:read',
        state: 'jkt',
        code_challenge: challenge,
        code_challenge_method: 'S256',
        ...extra,
      })}`,
      user,
    );
    return { callback, verifier };
  }
  const redeem = (
    callback: URL,
    verifier: string,
    DPoP?: oauth.DPoPHandle,
  ): Promise<oauth.TokenEndpointResponse> =>
    retryingNonce(async () =>
      oauth.processAuthorizationCodeResponse(
        as,
        c,
        await oauth.authorizationCodeGrantRequest(
          as,
          c,
          oauth.ClientSecretBasic(app.clientSecret),
          oauth.validateAuthResponse(as, c, callback, 'jkt'),
          REDIRECT,
          verifier,
          { ...insecure, ...(DPoP ? { DPoP } : {}) },
        ),
      ),
    );

  it('redeems the code only with a proof of that key: none → invalid_dpop_proof, another → invalid_grant', async () => {
    const key = oauth.DPoP(c, await oauth.generateKeyPair('ES256'));
    const other = oauth.DPoP(c, await oauth.generateKeyPair('ES256'));
    const { callback, verifier } = await codeFor({ dpop_jkt: await key.calculateThumbprint() });
    await expect(redeem(callback, verifier)).rejects.toMatchObject({
      error: 'invalid_dpop_proof',
      error_description: 'the code is bound to a DPoP key (dpop_jkt): send a DPoP proof signed by it',
    });
    await expect(redeem(callback, verifier, other)).rejects.toMatchObject({
      error: 'invalid_grant',
      error_description: 'the code is bound to another DPoP key than the one that signed this proof',
    });
    // The refusals did not use the code up: the bound key redeems it.
    const tokens = await redeem(callback, verifier, key);
    expect(tokens.token_type).toBe('dpop');
  });

  it('refuses a dpop_jkt that is not a thumbprint, at the redirect URI', async () => {
    const response = await browser.fetch(
      `${f.issuer}/authorize?${form({
        response_type: 'code',
        client_id: app.clientId,
        redirect_uri: REDIRECT,
        scope: 'reports:read',
        state: 'jkt',
        code_challenge: pkce().challenge,
        code_challenge_method: 'S256',
        dpop_jkt: 'not-a-thumbprint',
      })}`,
    );
    expect(Object.fromEntries(location(response).searchParams)).toEqual({
      error: 'invalid_request',
      error_description: 'dpop_jkt must be the base64url SHA-256 JWK thumbprint of the DPoP key (RFC 7638)',
      state: 'jkt',
      iss: f.issuer,
    });
  });

  it('binds a pushed request to the key of its DPoP proof, and refuses a dpop_jkt naming another key', async () => {
    const key = oauth.DPoP(c, await oauth.generateKeyPair('ES256'));
    const other = oauth.DPoP(c, await oauth.generateKeyPair('ES256'));
    const { verifier, challenge } = pkce();
    const parameters = {
      redirect_uri: REDIRECT,
      scope: 'reports:read',
      state: 'jkt',
      code_challenge: challenge,
      code_challenge_method: 'S256',
      response_type: 'code',
    };
    const mismatched = retryingNonce(async () =>
      oauth.processPushedAuthorizationResponse(
        as,
        c,
        await oauth.pushedAuthorizationRequest(
          as,
          c,
          oauth.ClientSecretBasic(app.clientSecret),
          { ...parameters, dpop_jkt: await other.calculateThumbprint() },
          { DPoP: key, ...insecure },
        ),
      ),
    );
    await expect(mismatched).rejects.toMatchObject({
      error: 'invalid_dpop_proof',
      error_description: 'dpop_jkt names another key than the one that signed the DPoP proof',
    });
    const pushed = await retryingNonce(async () =>
      oauth.processPushedAuthorizationResponse(
        as,
        c,
        await oauth.pushedAuthorizationRequest(as, c, oauth.ClientSecretBasic(app.clientSecret), parameters, {
          DPoP: key,
          ...insecure,
        }),
      ),
    );
    const callback = await authorizeInteractively(
      browser,
      `${f.issuer}/authorize?${form({ client_id: app.clientId, request_uri: pushed.request_uri })}`,
      user,
    );
    await expect(redeem(callback, verifier, other)).rejects.toMatchObject({ error: 'invalid_grant' });
    expect((await redeem(callback, verifier, key)).token_type).toBe('dpop');
  });
});
