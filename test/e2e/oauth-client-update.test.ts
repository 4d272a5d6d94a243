import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formBody, type OAuthFixture, startOAuthFixture, userTokens } from '../helpers/oauth.js';

/**
 * `PATCH /api/admin/clients/{id}`: an administrator changes a registered client. What the client
 * may no longer ask for leaves its users' grants and tokens at the next request; the security
 * settings (PAR, DPoP, FAPI 2.0) can be turned on for a client already in use.
 */
let f: OAuthFixture;
let asServer: string;
const REDIRECT = 'https://app.example.com/cb';
const owner = () => ({ email: f.ownerEmail, password: f.ownerPassword });
const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;

interface Client {
  clientId: string;
  clientSecret: string;
  name: string;
  redirectUris: string[];
  scopes: string[];
  grantTypes: string[];
  dpopBoundAccessTokens: boolean;
  requirePushedAuthorizationRequests: boolean;
  fapi2SecurityProfile: boolean;
}

beforeAll(async () => {
  f = await startOAuthFixture();
  const rs = await f.admin<{ id: string; secret: string }>('POST', '/resource-servers', {
    identifier: 'https://reports.example.com',
    scopes: [
      { name: 'reports:read', description: 'Read reports' },
      { name: 'reports:write', description: 'Write reports' },
    ],
  });
  asServer = basic(rs.id, rs.secret);
}, 60_000);
afterAll(async () => {
  await f?.close();
});

const register = (name: string, extra: Record<string, unknown> = {}) =>
  f.admin<Client>('POST', '/clients', {
    name,
    redirectUris: [REDIRECT],
    scopes: ['reports:read', 'reports:write'],
    grantTypes: ['authorization_code', 'refresh_token', 'client_credentials'],
    ...extra,
  });

/** The admin API's answer, without throwing on an error status. */
const patch = async (clientId: string, body: unknown) => {
  const response = await fetch(`${f.url}/api/admin/clients/${clientId}`, {
    method: 'PATCH',
    headers: { authorization: `Bearer ${f.adminToken}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
};

const post = async (path: string, form: Record<string, string>, authorization: string) => {
  const response = await fetch(`${f.issuer}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization },
    body: formBody(form),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
};
const introspect = async (token: string) => (await post('/introspect', { token }, asServer)).body;

describe('PATCH /clients/{id}', () => {
  it('changes the name and redirect URIs, keeps the rest, and audits the change', async () => {
    const c = await register('Reports app');
    const changed = await patch(c.clientId, {
      name: 'Reports (new)',
      redirectUris: ['https://app.example.com/cb2', 'https://app.example.com/cb2'],
    });
    expect(changed.status).toBe(200);
    expect(changed.body).toMatchObject({
      clientId: c.clientId,
      name: 'Reports (new)',
      redirectUris: ['https://app.example.com/cb2'],
      scopes: ['reports:read', 'reports:write'],
      grantTypes: c.grantTypes,
      authMethod: 'client_secret_basic',
    });
    expect(changed.body).not.toHaveProperty('clientSecret');
    expect(await f.admin('GET', `/clients/${c.clientId}`)).toEqual(changed.body);
    // The secret is untouched.
    const cc = await post(
      '/token',
      { grant_type: 'client_credentials', scope: 'reports:read' },
      basic(c.clientId, c.clientSecret),
    );
    expect(cc.status).toBe(200);
    const audit = await f.admin<Array<{ action: string; resourceType: string; resourceId: string }>>(
      'GET',
      '/audit?limit=20',
    );
    expect(audit).toContainEqual(
      expect.objectContaining({ action: 'UPDATE', resourceType: 'OAUTH_CLIENT', resourceId: c.clientId }),
    );
  });

  it("narrows the users' grants and tokens to the scopes the client keeps, and revokes its client-credentials tokens", async () => {
    const c = await register('Narrowed');
    const tokens = await userTokens(f.issuer, c, owner(), {
      scope: 'reports:read reports:write',
      redirectUri: REDIRECT,
    });
    expect(tokens.scope).toBe('reports:read reports:write');
    const cc = await post(
      '/token',
      { grant_type: 'client_credentials', scope: 'reports:write' },
      basic(c.clientId, c.clientSecret),
    );
    expect(cc.status).toBe(200);

    expect((await patch(c.clientId, { scopes: ['reports:read'] })).status).toBe(200);
    expect(await introspect(tokens.access_token)).toMatchObject({ active: true, scope: 'reports:read' });
    expect(await introspect(String(cc.body.access_token))).toEqual({ active: false });
    const grants = await f.admin<Array<{ clientId: string; scopes: string[] }>>('GET', '/grants');
    expect(grants.filter((g) => g.clientId === c.clientId).map((g) => g.scopes)).toEqual([['reports:read']]);
    // A refresh gets what the grant holds now, and never the scope taken away.
    const refreshed = await post(
      '/token',
      { grant_type: 'refresh_token', refresh_token: tokens.refresh_token ?? '' },
      basic(c.clientId, c.clientSecret),
    );
    expect(refreshed.status).toBe(200);
    expect(refreshed.body.scope).toBe('reports:read');
    const wider = await post(
      '/token',
      {
        grant_type: 'refresh_token',
        refresh_token: String(refreshed.body.refresh_token),
        scope: 'reports:read reports:write',
      },
      basic(c.clientId, c.clientSecret),
    );
    expect(wider.status).toBe(400);
    expect(wider.body.error).toBe('invalid_scope');

    // Left with none of the grant's scopes, the grant goes, with every token issued under it.
    expect((await patch(c.clientId, { scopes: ['reports:write'] })).status).toBe(200);
    expect(await introspect(String(refreshed.body.access_token))).toEqual({ active: false });
    const after = await f.admin<Array<{ clientId: string }>>('GET', '/grants');
    expect(after.filter((g) => g.clientId === c.clientId)).toEqual([]);
  });

  it('leaves grants and client-credentials tokens alone when scopes are only added', async () => {
    const c = await register('Widened', { scopes: ['reports:read'] });
    const cc = await post(
      '/token',
      { grant_type: 'client_credentials', scope: 'reports:read' },
      basic(c.clientId, c.clientSecret),
    );
    expect((await patch(c.clientId, { scopes: ['reports:read', 'reports:write'] })).status).toBe(200);
    expect(await introspect(String(cc.body.access_token))).toMatchObject({ active: true });
    const widened = await post(
      '/token',
      { grant_type: 'client_credentials', scope: 'reports:write' },
      basic(c.clientId, c.clientSecret),
    );
    expect(widened.status).toBe(200);
  });

  it('turns PAR on for a client in use: a plain authorization request is refused from then on', async () => {
    const c = await register('Goes PAR');
    const authorize = () =>
      fetch(
        `${f.issuer}/authorize?${new URLSearchParams({
          response_type: 'code',
          client_id: c.clientId,
          redirect_uri: REDIRECT,
          scope: 'reports:read',
          state: 'par',
          code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
          code_challenge_method: 'S256',
        })}`,
        { redirect: 'manual' },
      );
    expect((await authorize()).headers.get('location') ?? '').not.toContain('error=');
    const on = await patch(c.clientId, { requirePushedAuthorizationRequests: true });
    expect(on.body.requirePushedAuthorizationRequests).toBe(true);
    const refused = new URL((await authorize()).headers.get('location') ?? '');
    expect(refused.searchParams.get('error')).toBe('invalid_request');
    expect(refused.searchParams.get('error_description')).toContain(
      'registered for pushed authorization requests only',
    );
    expect((await patch(c.clientId, { requirePushedAuthorizationRequests: false })).status).toBe(200);
    expect((await authorize()).headers.get('location') ?? '').not.toContain('error=');
  });

  it('turns DPoP on: a token request without a proof is refused from then on', async () => {
    const c = await register('Goes DPoP');
    const issue = () =>
      post(
        '/token',
        { grant_type: 'client_credentials', scope: 'reports:read' },
        basic(c.clientId, c.clientSecret),
      );
    expect((await issue()).status).toBe(200);
    expect((await patch(c.clientId, { dpopBoundAccessTokens: true })).body.dpopBoundAccessTokens).toBe(true);
    const refused = await issue();
    expect(refused.status).toBe(400);
    expect(refused.body.error_description).toBe(
      `client ${c.clientId} is registered for DPoP-bound tokens only: send a DPoP proof`,
    );
  });

  it('refuses what a registration would refuse, saying what is wrong, and changes nothing', async () => {
    const c = await register('Strict');
    const cases: Array<[unknown, number, string]> = [
      [{}, 400, 'give at least one setting to change'],
      [{ authMethod: 'none' }, 400, 'authMethod'],
      [{ clientSecret: 'x' }, 400, 'clientSecret'],
      [
        { scopes: ['reports:raed'] },
        400,
        'scope `reports:raed` is not in the catalog (did you mean `reports:read`?)',
      ],
      [{ redirectUris: ['http://app.example.com/cb'] }, 400, 'https'],
      [{ grantTypes: ['authorization_code'], redirectUris: [] }, 400, 'needs at least one redirect URI'],
      [{ grantTypes: ['refresh_token'] }, 400, 'refresh_token comes with authorization_code'],
      [
        { jwks: { keys: [] } },
        400,
        'jwks is only for private_key_jwt clients; this one uses client_secret_basic',
      ],
      [{ fapi2SecurityProfile: true }, 400, 'authenticates clients with private_key_jwt only'],
      [{ name: '' }, 400, 'name'],
    ];
    for (const [body, status, message] of cases) {
      const answer = await patch(c.clientId, body);
      expect({ body, status: answer.status }).toEqual({ body, status });
      expect(JSON.stringify(answer.body)).toContain(message.replaceAll('"', '\\"'));
    }
    expect(await f.admin('GET', `/clients/${c.clientId}`)).toMatchObject({
      name: 'Strict',
      redirectUris: [REDIRECT],
      scopes: ['reports:read', 'reports:write'],
      fapi2SecurityProfile: false,
    });
    const missing = await patch(`kc-${'z'.repeat(26)}`, { name: 'x' });
    expect(missing.status).toBe(404);
    const badId = await patch('not-a-client', { name: 'x' });
    expect(badId.status).toBe(400);
  });

  it('keeps every change of parallel updates to different settings', async () => {
    const c = await register('Parallel');
    const answers = await Promise.all([
      patch(c.clientId, { name: 'Parallel (renamed)' }),
      patch(c.clientId, { redirectUris: ['https://app.example.com/other'] }),
      patch(c.clientId, { requirePushedAuthorizationRequests: true }),
      patch(c.clientId, { dpopBoundAccessTokens: true }),
      patch(c.clientId, { scopes: ['reports:read'] }),
    ]);
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200, 200]);
    expect(await f.admin('GET', `/clients/${c.clientId}`)).toMatchObject({
      name: 'Parallel (renamed)',
      redirectUris: ['https://app.example.com/other'],
      requirePushedAuthorizationRequests: true,
      dpopBoundAccessTokens: true,
      scopes: ['reports:read'],
    });
  });
});
