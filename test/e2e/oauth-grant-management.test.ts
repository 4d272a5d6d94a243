import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type OAuthFixture, startOAuthFixture, userTokens } from '../helpers/oauth.js';

/**
 * Grant management over real HTTP: the `grant_id` of a token response, a client querying and
 * revoking the user's grant with the user's access token, and every refusal: a bad or foreign
 * token is 401 with a Bearer challenge, any grant the token does not speak for is the same 404.
 */
let f: OAuthFixture;
const redirectUri = 'https://app.example.com/callback';
let app: { id: string; clientId: string; clientSecret: string };
let other: { id: string; clientId: string; clientSecret: string };
let owner: { email: string; password: string };

beforeAll(async () => {
  f = await startOAuthFixture();
  await f.admin('POST', '/resource-servers', {
    identifier: 'https://reports.example.com',
    name: 'Reports',
    scopes: [
      { name: 'reports:read', description: 'Read reports' },
      { name: 'reports:write', description: 'Write reports' },
    ],
  });
  const client = (name: string) =>
    f.admin<{ id: string; clientId: string; clientSecret: string }>('POST', '/clients', {
      name,
      redirectUris: [redirectUri],
      scopes: ['reports:read', 'reports:write'],
      grantTypes: ['authorization_code', 'refresh_token', 'client_credentials'],
    });
  app = await client('Reporting app');
  other = await client('Other app');
  owner = { email: f.ownerEmail, password: f.ownerPassword };
}, 60_000);

afterAll(async () => {
  await f?.close();
});

const tokensFor = (client: typeof app, scope = 'reports:read reports:write') =>
  userTokens(f.issuer, client, owner, { scope, redirectUri }) as Promise<{
    access_token: string;
    refresh_token?: string;
    grant_id?: string;
  }>;

const grantCall = (method: 'GET' | 'DELETE', grantId: string, token?: string) =>
  fetch(`${f.issuer}/grant-management/${grantId}`, {
    method,
    headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
  });

const basic = (c: typeof app) => `Basic ${Buffer.from(`${c.clientId}:${c.clientSecret}`).toString('base64')}`;

async function introspect(token: string): Promise<{ active: boolean }> {
  const response = await fetch(`${f.issuer}/introspect`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic(app) },
    body: new URLSearchParams({ token }).toString(),
  });
  return (await response.json()) as { active: boolean };
}

describe('grant management', () => {
  it('is advertised in the metadata', async () => {
    const metadata = (await (
      await fetch(`${f.url}/.well-known/oauth-authorization-server/oauth/${f.accountId}`)
    ).json()) as Record<string, unknown>;
    expect(metadata.grant_management_endpoint).toBe(`${f.issuer}/grant-management`);
    expect(metadata.grant_management_action_required).toBe(false);
  });

  it('names the grant in the token response of a user grant, and not for client credentials', async () => {
    const tokens = await tokensFor(app);
    expect(tokens.grant_id).toMatch(/^[a-z0-9]{26}$/);
    const refreshed = await fetch(`${f.issuer}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic(app) },
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: tokens.refresh_token ?? '' }),
    });
    expect(((await refreshed.json()) as { grant_id?: string }).grant_id).toBe(tokens.grant_id);
    const machine = await fetch(`${f.issuer}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic(app) },
      body: new URLSearchParams({ grant_type: 'client_credentials', scope: 'reports:read' }),
    });
    expect(machine.status).toBe(200);
    expect(await machine.json()).not.toHaveProperty('grant_id');
  });

  it("answers the grant's scopes and resource to a token of the grant, as the admin API has them", async () => {
    const tokens = await tokensFor(app, 'reports:read');
    const response = await grantCall('GET', tokens.grant_id ?? '', tokens.access_token);
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toContain('no-store');
    const status = await response.json();
    const grants = await f.admin<{ id: string; scopes: string[]; resource: string }[]>('GET', '/grants');
    const recorded = grants.find((g) => g.id === tokens.grant_id);
    expect(status).toEqual({
      scopes: [{ scope: recorded?.scopes.join(' '), resource: ['https://reports.example.com'] }],
    });
  });

  it('revokes the grant with its tokens: the access and refresh tokens stop at once, the call is audited', async () => {
    const tokens = await tokensFor(app);
    expect((await introspect(tokens.access_token)).active).toBe(true);
    const revoked = await grantCall('DELETE', tokens.grant_id ?? '', tokens.access_token);
    expect(revoked.status).toBe(204);
    expect(await revoked.text()).toBe('');
    expect((await introspect(tokens.access_token)).active).toBe(false);
    expect((await introspect(tokens.refresh_token ?? '')).active).toBe(false);
    const grants = await f.admin<{ id: string }[]>('GET', '/grants');
    expect(grants.map((g) => g.id)).not.toContain(tokens.grant_id);
    // The token went with its grant: a second call is refused as a bad token, not a 500.
    expect((await grantCall('DELETE', tokens.grant_id ?? '', tokens.access_token)).status).toBe(401);
    const audit = await f.admin<
      { action: string; resourceType: string; resourceId: string; actorType: string }[]
    >('GET', '/audit?limit=50');
    const event = audit.find((e) => e.resourceType === 'OAUTH_GRANT' && e.resourceId === tokens.grant_id);
    expect(event).toMatchObject({ action: 'DELETE', actorType: 'oauth_token' });
  });

  it('refuses a missing, unknown, refresh or client-credentials token with 401 and a Bearer challenge', async () => {
    const tokens = await tokensFor(app);
    const grantId = tokens.grant_id ?? '';
    const machine = (await (
      await fetch(`${f.issuer}/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic(app) },
        body: new URLSearchParams({ grant_type: 'client_credentials', scope: 'reports:read' }),
      })
    ).json()) as { access_token: string };
    for (const token of [undefined, 'khat_not-a-token', tokens.refresh_token, machine.access_token]) {
      for (const method of ['GET', 'DELETE'] as const) {
        const response = await grantCall(method, grantId, token);
        expect(response.status, `${method} with ${token?.slice(0, 4)}`).toBe(401);
        expect(response.headers.get('www-authenticate')).toBe(
          'Bearer realm="keyhold", error="invalid_token"',
        );
        expect(((await response.json()) as { error: string }).error).toBe('invalid_token');
      }
    }
    // Nothing was revoked by the refused calls.
    expect((await grantCall('GET', grantId, tokens.access_token)).status).toBe(200);
  });

  it("answers the same 404 for another client's grant, an unknown id and a malformed one, and revokes nothing", async () => {
    const mine = await tokensFor(app);
    const theirs = await tokensFor(other);
    const answers = [];
    for (const grantId of [theirs.grant_id ?? '', '0'.repeat(26), 'not-an-id']) {
      for (const method of ['GET', 'DELETE'] as const) {
        const response = await grantCall(method, grantId, mine.access_token);
        answers.push({ status: response.status, body: ((await response.json()) as { error: string }).error });
      }
    }
    expect(new Set(answers.map((a) => JSON.stringify(a)))).toEqual(
      new Set([JSON.stringify({ status: 404, body: 'invalid_request' })]),
    );
    expect((await grantCall('GET', theirs.grant_id ?? '', theirs.access_token)).status).toBe(200);
  });

  it('lets exactly one of many parallel revocations succeed; the others find no grant', async () => {
    const tokens = await tokensFor(app);
    const statuses = await Promise.all(
      Array.from({ length: 8 }, () =>
        grantCall('DELETE', tokens.grant_id ?? '', tokens.access_token).then((r) => r.status),
      ),
    );
    expect(statuses.filter((s) => s === 204)).toHaveLength(1);
    expect(statuses.filter((s) => s !== 204).every((s) => s === 401 || s === 404)).toBe(true);
  });
});
