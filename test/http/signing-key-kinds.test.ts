import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import {
  createLocalJWKSet,
  decodeJwt,
  decodeProtectedHeader,
  type JSONWebKeySet,
  jwtVerify,
  SignJWT,
} from 'jose';
import * as oauth from 'oauth4webapi';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '../../src/crypto/ids.js';
import { signatureHash } from '../../src/domain/connect/token-service.js';
import { MAX_ACCESS_TOKEN_TTL } from '../../src/domain/oauth/token-issuer.js';
import { DATABASE_FILE } from '../../src/storage/sqlite/backend.js';
import { startTestApp, TEST_PUBLIC_URL, type TestApp } from '../helpers/app.js';
import { adminSetup, connectAppFor, type InjectableConnect } from '../helpers/connect-app.js';

/**
 * RFC 8725 §3.12: Connect tokens and the authorization server's JWT access tokens are signed by
 * different keys, each kind published in its own JWKS and rotated on its own, and a token signed
 * by a key of the other kind is refused even when the signature is valid.
 */
let t: TestApp;
let setup: ReturnType<typeof adminSetup>;
let connect: InjectableConnect;
let serverId: string;
let vaultId: string;
/** Where the app listens on a real socket, for oauth4webapi to fetch the JWKS as a resource server does. */
let listening: string;
let analytics: { identifier: string };
let dashboard: { clientId: string; clientSecret: string };

type KeyView = { kid: string; kind: string; retiredAt: string | null; publicJwk: { kid: string } };

const issuer = () => `${TEST_PUBLIC_URL}/oauth/${t.accountId}`;
const keys = async () => (await setup.api.get('/keys')).json().keys as KeyView[];
const current = async (kind: string) => (await keys()).find((k) => k.kind === kind && k.retiredAt === null);
const connectJwks = async () =>
  (await t.app.inject({ url: `/api/accounts/${t.accountId}/jwks.json` })).json() as JSONWebKeySet;
const oauthJwks = async () =>
  (await t.app.inject({ url: `/oauth/${t.accountId}/jwks.json` })).json() as JSONWebKeySet;
const kids = (set: JSONWebKeySet) => set.keys.map((k) => k.kid);
const kidOf = (jwt: string) => decodeProtectedHeader(jwt).kid;

/** A JWT access token from the real token endpoint (client credentials, RFC 9068 resource server). */
async function mintJwt(): Promise<string> {
  const res = await t.app.inject({
    method: 'POST',
    url: `/oauth/${t.accountId}/token`,
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: dashboard.clientId,
      client_secret: dashboard.clientSecret,
      scope: 'analytics:read',
      resource: analytics.identifier,
    }).toString(),
  });
  expect(res.statusCode, res.body).toBe(200);
  return res.json().access_token;
}

/** What a resource server does with a JWT access token: oauth4webapi against the issuer's jwks_uri. */
function validateAtResourceServer(jwt: string) {
  // A fresh AuthorizationServer object each time: oauth4webapi caches the JWKS per object.
  const as: oauth.AuthorizationServer = {
    issuer: issuer(),
    jwks_uri: `${listening}/oauth/${t.accountId}/jwks.json`,
  };
  const request = new Request('https://analytics.example.com/data', {
    headers: { authorization: `Bearer ${jwt}` },
  });
  return oauth.validateJwtAccessToken(as, request, analytics.identifier, {
    [oauth.allowInsecureRequests]: true,
  });
}

/** Connect-token claims for this server, as the token service writes them. */
const connectClaims = (jti: string) => ({
  '1password.com/auuid': t.accountId,
  '1password.com/fts': ['vaultaccess'],
  '1password.com/vts': [{ u: vaultId, a: 1 }],
  iss: 'keyhold',
  sub: serverId,
  aud: [serverId],
  jti,
  iat: Math.floor(Date.now() / 1000),
});

/**
 * Signs Connect-token claims with the account's current key of `kind` and registers the token
 * exactly as the token service would, so that the key is the only thing that can be wrong.
 */
async function registeredConnectToken(kind: 'connect' | 'oauth'): Promise<string> {
  const signer = await t.services.signingKeys.signer(t.accountId, kind);
  const jti = newId();
  const token = await new SignJWT(connectClaims(jti))
    .setProtectedHeader({ alg: 'ES256', kid: signer.kid, typ: 'JWT' })
    .sign(signer.privateKey);
  await t.storage.connectTokens.insert({
    id: jti,
    accountId: t.accountId,
    serverId,
    name: `signed by the ${kind} key`,
    grants: [{ vaultId, permissions: ['read'] }],
    signatureHash: signatureHash(token),
    createdAt: new Date().toISOString(),
    expiresAt: null,
    revokedAt: null,
  });
  return token;
}

const connectGet = (token: string) =>
  connect.inject({ url: '/v1/vaults', headers: { authorization: `Bearer ${token}` } });

/** Moves a key's retirement into the past, as if that much time had gone by since the rotation. */
function retiredSecondsAgo(kid: string, seconds: number): void {
  const db = new BetterSqlite3(join(t.dir, DATABASE_FILE));
  try {
    db.prepare('update signing_keys set retired_at = ? where kid = ?').run(
      new Date(Date.now() - seconds * 1000).toISOString(),
      kid,
    );
  } finally {
    db.close();
  }
}

beforeAll(async () => {
  t = await startTestApp();
  setup = adminSetup(t);
  vaultId = (await setup.vault('v')).id;
  serverId = (await setup.server([vaultId])).id;
  connect = await connectAppFor(t, serverId);
  analytics = (
    await setup.api.post('/resource-servers', {
      identifier: 'https://analytics.example.com',
      tokenFormat: 'jwt',
      scopes: [{ name: 'analytics:read', description: 'Read analytics' }],
    })
  ).json();
  dashboard = (
    await setup.api.post('/clients', {
      name: 'dashboard',
      redirectUris: [],
      scopes: ['analytics:read'],
      grantTypes: ['client_credentials'],
      authMethod: 'client_secret_post',
    })
  ).json();
  listening = await t.app.listen({ host: '127.0.0.1', port: 0 });
});
afterAll(async () => {
  await connect.close();
  await t.close();
});

describe('one key per kind of token', () => {
  it('signs Connect tokens and OAuth JWTs with different keys, each published only in its own JWKS', async () => {
    const connectKey = await current('connect');
    const oauthKey = await current('oauth');
    expect(connectKey?.kid).toBeDefined();
    expect(oauthKey?.kid).toBeDefined();
    expect(connectKey?.kid).not.toBe(oauthKey?.kid);

    const connectToken = (await setup.token(serverId, [{ vaultId, permissions: ['read'] }])).token;
    const jwt = await mintJwt();
    expect(kidOf(connectToken)).toBe(connectKey?.kid);
    expect(kidOf(jwt)).toBe(oauthKey?.kid);

    const [connectSet, oauthSet] = await Promise.all([connectJwks(), oauthJwks()]);
    expect(kids(connectSet)).toEqual([connectKey?.kid]);
    expect(kids(oauthSet)).toEqual([oauthKey?.kid]);
    // The issuer's metadata points resource servers at the OAuth set.
    const metadata = (
      await t.app.inject({ url: `/.well-known/oauth-authorization-server/oauth/${t.accountId}` })
    ).json();
    expect(metadata.jwks_uri).toBe(`${issuer()}/jwks.json`);
    expect(await validateAtResourceServer(jwt)).toMatchObject({
      aud: analytics.identifier,
      scope: 'analytics:read',
    });
  });

  it('refuses a registered Connect token whose valid signature is by the OAuth key, on the key kind alone', async () => {
    const forged = await registeredConnectToken('oauth');
    // The signature is valid: the OAuth JWKS verifies it, claims and all.
    const { payload } = await jwtVerify(forged, createLocalJWKSet(await oauthJwks()), {
      issuer: 'keyhold',
      audience: serverId,
    });
    expect(payload.sub).toBe(serverId);
    const res = await connectGet(forged);
    expect(res.statusCode).toBe(401);
    expect(res.json()).toEqual({ status: 401, message: 'Invalid token: not signed by a Connect token key' });
    const events = (await setup.api.get('/audit?limit=1')).json();
    expect(events[0]).toMatchObject({ result: 'DENY' });

    // The same claims, registered the same way, signed by the Connect key: accepted. So the
    // refusal above came from the key's kind and nothing else.
    const genuine = await registeredConnectToken('connect');
    expect((await connectGet(genuine)).statusCode).toBe(200);
  });

  it('leaves the resource server refusing an access token signed by the Connect key: that key is not in the OAuth JWKS', async () => {
    const jwt = await mintJwt();
    const claims = decodeJwt(jwt);
    const connectSigner = await t.services.signingKeys.signer(t.accountId, 'connect');
    const forged = await new SignJWT(claims)
      .setProtectedHeader({ alg: 'ES256', kid: connectSigner.kid, typ: 'at+jwt' })
      .sign(connectSigner.privateKey);
    // Valid under the Connect JWKS...
    await expect(jwtVerify(forged, createLocalJWKSet(await connectJwks()))).resolves.toBeDefined();
    // ...and refused by a resource server of the authorization server, for want of the key.
    const refused = await validateAtResourceServer(forged).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(refused).toBeInstanceOf(oauth.OperationProcessingError);
    expect((refused as oauth.OperationProcessingError).code).toBe(oauth.KEY_SELECTION);
    // The genuine token passes the same validation.
    await expect(validateAtResourceServer(jwt)).resolves.toMatchObject({ iss: issuer() });
  });
});

describe('rotation, one kind at a time', () => {
  it('rotating the OAuth key leaves the Connect key, its tokens and its JWKS untouched', async () => {
    const connectBefore = await current('connect');
    const connectSetBefore = await connectJwks();
    const oauthBefore = await current('oauth');
    const connectToken = (await setup.token(serverId, [{ vaultId, permissions: ['read'] }])).token;
    const oldJwt = await mintJwt();

    const res = await setup.api.post('/keys/rotate', { kind: 'oauth' });
    expect(res.statusCode).toBe(201);
    const rotated = res.json();
    expect(Object.keys(rotated).sort()).toEqual([
      'createdAt',
      'kid',
      'kind',
      'oauthUntil',
      'publicJwk',
      'retiredAt',
      'state',
      'withdrawnAt',
    ]);
    expect(rotated).toMatchObject({
      kind: 'oauth',
      state: 'current',
      retiredAt: null,
      withdrawnAt: null,
      oauthUntil: null,
    });
    expect(rotated.publicJwk).toMatchObject({ kid: rotated.kid, kty: 'EC', crv: 'P-256', alg: 'ES256' });
    expect(rotated.publicJwk).not.toHaveProperty('d');
    const events = (await setup.api.get('/audit?limit=1')).json();
    expect(events[0]).toMatchObject({
      action: 'CREATE',
      resourceType: 'SIGNING_KEY',
      resourceId: rotated.kid,
      result: 'SUCCESS',
    });

    expect(await current('connect')).toEqual(connectBefore);
    expect(await connectJwks()).toEqual(connectSetBefore);
    expect((await connectGet(connectToken)).statusCode).toBe(200);
    expect((await current('oauth'))?.kid).toBe(rotated.kid);
    const newJwt = await mintJwt();
    expect(kidOf(newJwt)).toBe(rotated.kid);
    // The retired OAuth key stays published while its JWTs may live: both validate.
    expect(kids(await oauthJwks()).sort()).toEqual([oauthBefore?.kid, rotated.kid].sort());
    await expect(validateAtResourceServer(oldJwt)).resolves.toBeDefined();
    await expect(validateAtResourceServer(newJwt)).resolves.toBeDefined();
  });

  it('rotating the Connect key (the default kind) leaves the OAuth key and its JWKS untouched', async () => {
    const oauthBefore = await current('oauth');
    const oauthSetBefore = await oauthJwks();
    const jwt = await mintJwt();
    const connectBefore = await current('connect');
    const oldToken = (await setup.token(serverId, [{ vaultId, permissions: ['read'] }])).token;

    const rotated = (await setup.api.post('/keys/rotate')).json();
    expect(rotated.kind).toBe('connect');
    expect(await current('oauth')).toEqual(oauthBefore);
    expect(await oauthJwks()).toEqual(oauthSetBefore);
    await expect(validateAtResourceServer(jwt)).resolves.toBeDefined();
    expect(kidOf(await mintJwt())).toBe(oauthBefore?.kid);
    const newToken = (await setup.token(serverId, [{ vaultId, permissions: ['read'] }])).token;
    expect(kidOf(newToken)).toBe(rotated.kid);
    expect((await connectGet(oldToken)).statusCode).toBe(200);
    expect((await connectGet(newToken)).statusCode).toBe(200);
    expect(kids(await connectJwks())).toEqual(expect.arrayContaining([connectBefore?.kid, rotated.kid]));
  });

  it('drops a retired OAuth key from the OAuth JWKS once its longest JWT has expired; Connect keys stay for good', async () => {
    const oauthKey = await current('oauth');
    const connectKey = await current('connect');
    await setup.api.post('/keys/rotate', { kind: 'oauth' });
    await setup.api.post('/keys/rotate', { kind: 'connect' });
    expect(kids(await oauthJwks())).toContain(oauthKey?.kid);

    retiredSecondsAgo(oauthKey?.kid as string, MAX_ACCESS_TOKEN_TTL - 60);
    expect(kids(await oauthJwks())).toContain(oauthKey?.kid);
    retiredSecondsAgo(oauthKey?.kid as string, MAX_ACCESS_TOKEN_TTL + 1);
    expect(kids(await oauthJwks())).not.toContain(oauthKey?.kid);
    // A Connect token may never expire: its retired key is published however long ago it retired.
    retiredSecondsAgo(connectKey?.kid as string, 10 * 366 * 24 * 3600);
    expect(kids(await connectJwks())).toContain(connectKey?.kid);
  });

  it('keeps one current key per kind under concurrent rotations of both kinds', async () => {
    const before = (await keys()).length;
    const responses = await Promise.all(
      Array.from({ length: 16 }, (_, i) =>
        setup.api.post('/keys/rotate', { kind: i % 2 ? 'oauth' : 'connect' }),
      ),
    );
    expect(responses.map((r) => r.statusCode)).toEqual(Array(16).fill(201));
    const all = await keys();
    expect(all).toHaveLength(before + 16);
    const currentKeys = all.filter((k) => k.retiredAt === null);
    expect(currentKeys.map((k) => k.kind).sort()).toEqual(['connect', 'oauth']);
    const created = new Set(responses.map((r) => r.json().kid));
    for (const k of currentKeys) expect(created.has(k.kid)).toBe(true);
    // Whichever won signs from now on.
    const connectKid = currentKeys.find((k) => k.kind === 'connect')?.kid;
    const oauthKid = currentKeys.find((k) => k.kind === 'oauth')?.kid;
    expect(kidOf((await setup.token(serverId, [{ vaultId, permissions: ['read'] }])).token)).toBe(connectKid);
    expect(kidOf(await mintJwt())).toBe(oauthKid);
  });

  it('refuses an unknown kind, and callers other than an administrator', async () => {
    for (const [body, message] of [
      [{ kind: 'both' }, 'body: kind: must be one of connect, oauth'],
      [{ kind: 'oauth', extra: 1 }, 'body: unknown field "extra"'],
    ] as const) {
      const res = await setup.api.post('/keys/rotate', body);
      expect(res.statusCode).toBe(400);
      expect(res.json()).toMatchObject({ status: 400, message });
    }
    const token = (await setup.token(serverId, [{ vaultId, permissions: ['read'] }])).token;
    for (const [method, url] of [
      ['GET', '/api/admin/keys'],
      ['POST', '/api/admin/keys/rotate'],
    ] as const) {
      const res = await t.app.inject({
        method,
        url,
        headers: { authorization: `Bearer ${token}` },
        payload: {},
      });
      expect(res.statusCode).toBe(401);
    }
  });
});
