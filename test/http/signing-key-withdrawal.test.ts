import { decodeProtectedHeader, type JSONWebKeySet } from 'jose';
import * as oauth from 'oauth4webapi';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, TEST_PUBLIC_URL, type TestApp } from '../helpers/app.js';
import { adminSetup, connectAppFor, type InjectableConnect } from '../helpers/connect-app.js';

/**
 * A signing key withdrawn for good (a leaked key): from the withdrawal on, no token it signed
 * verifies — a Connect token the verifier had already checked and cached, an OAuth JWT access
 * token at introspection, and at a resource server that verifies locally, since the key leaves
 * both JWKS documents. The current key of a kind cannot be withdrawn (rotate first); a kid of
 * another account is not found, as an unknown one.
 */
let t: TestApp;
let setup: ReturnType<typeof adminSetup>;
let connect: InjectableConnect;
let serverId: string;
let vaultId: string;
let listening: string;
let analytics: { id: string; identifier: string; secret: string };
let dashboard: { clientId: string; clientSecret: string };

interface KeyView {
  kid: string;
  kind: string;
  state: string;
  retiredAt: string | null;
  withdrawnAt: string | null;
}

const issuer = () => `${TEST_PUBLIC_URL}/oauth/${t.accountId}`;
const keys = async () => (await setup.api.get('/keys')).json().keys as KeyView[];
const keyOf = async (kid: string) => (await keys()).find((k) => k.kid === kid);
const current = async (kind: string) => (await keys()).find((k) => k.kind === kind && k.state === 'current');
const connectJwks = async () =>
  (await t.app.inject({ url: `/api/accounts/${t.accountId}/jwks.json` })).json() as JSONWebKeySet;
const oauthJwks = async () =>
  (await t.app.inject({ url: `/oauth/${t.accountId}/jwks.json` })).json() as JSONWebKeySet;
const kids = (set: JSONWebKeySet) => set.keys.map((k) => k.kid);
const kidOf = (jwt: string) => decodeProtectedHeader(jwt).kid as string;
const withdraw = (kid: string) => setup.api.post(`/keys/${kid}/withdraw`);
const connectGet = (token: string) =>
  connect.inject({ url: '/v1/vaults', headers: { authorization: `Bearer ${token}` } });
const connectToken = async () => (await setup.token(serverId, [{ vaultId, permissions: ['read'] }])).token;

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

/** RFC 7662 introspection, as the resource server calls it (HTTP Basic: its id and secret). */
async function introspect(token: string): Promise<{ active: boolean }> {
  const res = await t.app.inject({
    method: 'POST',
    url: `/oauth/${t.accountId}/introspect`,
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `Basic ${Buffer.from(`${analytics.id}:${analytics.secret}`).toString('base64')}`,
    },
    payload: new URLSearchParams({ token }).toString(),
  });
  expect(res.statusCode, res.body).toBe(200);
  return res.json();
}

/** A resource server validating locally: oauth4webapi against the issuer's JWKS, fetched afresh. */
function validateAtResourceServer(jwt: string) {
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

describe('withdrawing a Connect key', () => {
  it('refuses at once every token it signed, one the verifier had cached included; the new key and its tokens are untouched', async () => {
    const old = await current('connect');
    const token = await connectToken();
    expect(kidOf(token)).toBe(old?.kid);
    // Verified once, so the signature is in the verifier's cache.
    expect((await connectGet(token)).statusCode).toBe(200);

    // A rotation only makes it previous: the token keeps working.
    expect((await setup.api.post('/keys/rotate', { kind: 'connect' })).statusCode).toBe(201);
    expect(await keyOf(old?.kid ?? '')).toMatchObject({ state: 'previous', withdrawnAt: null });
    expect((await connectGet(token)).statusCode).toBe(200);
    const fresh = await connectToken();

    const res = await withdraw(old?.kid ?? '');
    expect(res.statusCode, res.body).toBe(200);
    const withdrawn = res.json();
    expect(withdrawn).toMatchObject({ kid: old?.kid, kind: 'connect', state: 'withdrawn' });
    expect(Date.parse(withdrawn.withdrawnAt)).toBeGreaterThan(Date.parse(withdrawn.retiredAt));
    const events = (await setup.api.get('/audit?limit=1')).json();
    expect(events[0]).toMatchObject({
      action: 'DELETE',
      resourceType: 'SIGNING_KEY',
      resourceId: old?.kid,
      result: 'SUCCESS',
    });

    const refused = await connectGet(token);
    expect(refused.statusCode).toBe(401);
    expect(refused.json()).toEqual({ status: 401, message: 'Invalid token signature' });
    expect(kids(await connectJwks())).not.toContain(old?.kid);
    expect((await connectGet(fresh)).statusCode).toBe(200);
    // The state is listed, beside the current key and the retiredAt that kept its meaning.
    expect(await keyOf(old?.kid ?? '')).toMatchObject({ state: 'withdrawn', retiredAt: withdrawn.retiredAt });
    expect(await current('connect')).toMatchObject({ retiredAt: null, withdrawnAt: null });
  });

  it('answers a second withdrawal with the key as it is, without a second event', async () => {
    const withdrawn = (await keys()).find((k) => k.state === 'withdrawn');
    const before = (await setup.api.get('/audit?limit=1')).json()[0];
    const res = await withdraw(withdrawn?.kid ?? '');
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ state: 'withdrawn', withdrawnAt: withdrawn?.withdrawnAt });
    expect((await setup.api.get('/audit?limit=1')).json()[0]).toEqual(before);
  });

  it('refuses the current key with a 409 that says to rotate first, and changes nothing', async () => {
    for (const kind of ['connect', 'oauth']) {
      const key = await current(kind);
      const res = await withdraw(key?.kid ?? '');
      expect(res.statusCode).toBe(409);
      expect(res.json()).toEqual({
        status: 409,
        code: 'signing_key_current',
        message: `signing key ${key?.kid} is the current ${kind} key: rotate the ${kind} key first (POST /api/admin/keys/rotate, \`keyhold keys rotate --kind ${kind}\`), then withdraw this one`,
      });
      expect(await current(kind)).toEqual(key);
    }
    const token = await connectToken();
    expect((await connectGet(token)).statusCode).toBe(200);
  });

  it("answers 404 for an unknown kid and for another account's, and leaves that key alone", async () => {
    const unknown = await withdraw('zzzzzzzzzzzzzzzzzzzzzzzzzz');
    expect(unknown.statusCode).toBe(404);
    const tenant = (await setup.api.post('/accounts', { name: 'Tenant' })).json();
    const other = adminSetup(t, tenant.adminToken);
    const theirs = (await other.api.get('/keys')).json().keys[0] as KeyView;
    expect((await other.api.post('/keys/rotate', { kind: theirs.kind })).statusCode).toBe(201);
    const res = await withdraw(theirs.kid);
    expect(res.statusCode).toBe(404);
    // The same answer as for a kid nobody has: nothing about the other account is learnt.
    expect(unknown.json()).toEqual({
      status: 404,
      code: 'not_found',
      message: 'signing key zzzzzzzzzzzzzzzzzzzzzzzzzz not found',
    });
    expect(res.json()).toEqual({
      status: 404,
      code: 'not_found',
      message: `signing key ${theirs.kid} not found`,
    });
    const after = ((await other.api.get('/keys')).json().keys as KeyView[]).find((k) => k.kid === theirs.kid);
    expect(after).toMatchObject({ state: 'previous', withdrawnAt: null });
    // Their owner may withdraw it.
    expect((await other.api.post(`/keys/${theirs.kid}/withdraw`)).statusCode).toBe(200);
  });

  it('is refused to an admin token that is not an owner (as rotation is), and audited', async () => {
    const previous = await current('connect');
    expect((await setup.api.post('/keys/rotate', { kind: 'connect' })).statusCode).toBe(201);
    const admin = (await setup.api.post('/admin-tokens', { name: 'an admin', role: 'admin' })).json();
    const res = await adminSetup(t, admin.token).api.post(`/keys/${previous?.kid}/withdraw`);
    expect(res.statusCode).toBe(403);
    expect((await setup.api.get('/audit?limit=1')).json()[0]).toMatchObject({
      action: 'DELETE',
      resourceType: 'SIGNING_KEY',
      resourceId: previous?.kid,
      result: 'DENY',
    });
    expect(await keyOf(previous?.kid ?? '')).toMatchObject({ state: 'previous' });
  });
});

describe('withdrawing an OAuth key', () => {
  it('makes its JWT access tokens inactive at introspection and unverifiable at a resource server', async () => {
    const old = await current('oauth');
    const jwt = await mintJwt();
    expect(kidOf(jwt)).toBe(old?.kid);
    expect((await setup.api.post('/keys/rotate', { kind: 'oauth' })).statusCode).toBe(201);
    // Previous: still published, still active.
    expect(kids(await oauthJwks())).toContain(old?.kid);
    expect(await introspect(jwt)).toMatchObject({ active: true });
    await expect(validateAtResourceServer(jwt)).resolves.toMatchObject({ iss: issuer() });
    const fresh = await mintJwt();

    expect((await withdraw(old?.kid ?? '')).statusCode).toBe(200);

    expect(kids(await oauthJwks())).not.toContain(old?.kid);
    expect(await introspect(jwt)).toEqual({ active: false });
    const refused = await validateAtResourceServer(jwt).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(refused).toBeInstanceOf(oauth.OperationProcessingError);
    expect((refused as oauth.OperationProcessingError).code).toBe(oauth.KEY_SELECTION);
    // The new key's tokens are untouched.
    expect(await introspect(fresh)).toMatchObject({ active: true });
    await expect(validateAtResourceServer(fresh)).resolves.toMatchObject({ iss: issuer() });
  });
});
