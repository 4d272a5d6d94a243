import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formBody, type OAuthFixture, startOAuthFixture } from '../helpers/oauth.js';

/**
 * Clients and resource servers are served from memory between registry changes; a deletion must
 * still take effect at the very next request, after the cache has been warmed.
 */
let f: OAuthFixture;
beforeAll(async () => {
  f = await startOAuthFixture();
}, 60_000);
afterAll(async () => {
  await f?.close();
});

const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;
const post = async (path: string, form: Record<string, string>, authorization: string) => {
  const response = await fetch(`${f.issuer}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization },
    body: formBody(form),
  });
  return {
    status: response.status,
    body: (await response.json().catch(() => null)) as Record<string, unknown> | null,
  };
};

describe('registry changes reach the token and introspection endpoints at once', () => {
  it('refuses a deleted client and a deleted resource server at their next request', async () => {
    const rs = await f.admin<{ id: string; secret: string }>('POST', '/resource-servers', {
      identifier: 'https://cache.example.com',
      scopes: [{ name: 'cache:read', description: 'Read' }],
    });
    const client = await f.admin<{ clientId: string; clientSecret: string }>('POST', '/clients', {
      name: 'cached',
      redirectUris: [],
      scopes: ['cache:read'],
    });
    const asClient = basic(client.clientId, client.clientSecret);
    const asServer = basic(rs.id, rs.secret);
    const issue = () => post('/token', { grant_type: 'client_credentials', scope: 'cache:read' }, asClient);
    // Warm both caches.
    const first = await issue();
    expect(first.status).toBe(200);
    const token = String(first.body?.access_token);
    expect((await issue()).status).toBe(200);
    expect((await post('/introspect', { token }, asServer)).body?.active).toBe(true);

    await f.admin('DELETE', `/clients/${client.clientId}`);
    const refused = await issue();
    expect(refused.status).toBe(401);
    expect(refused.body?.error).toBe('invalid_client');
    // The client's tokens went with it.
    expect((await post('/introspect', { token }, asServer)).body).toEqual({ active: false });

    await f.admin('DELETE', `/resource-servers/${rs.id}`);
    const gone = await post('/introspect', { token }, asServer);
    expect(gone.status).toBe(401);
    expect(gone.body?.error).toBe('invalid_client');
  });

  it('refuses a client’s old secret at its next request once the secret is rotated', async () => {
    await f.admin('POST', '/resource-servers', {
      identifier: 'https://rotate.example.com',
      scopes: [{ name: 'rotate:read', description: 'Read' }],
    });
    const client = await f.admin<{ clientId: string; clientSecret: string }>('POST', '/clients', {
      name: 'rotating',
      redirectUris: [],
      scopes: ['rotate:read'],
    });
    const issue = (secret: string) =>
      post(
        '/token',
        { grant_type: 'client_credentials', scope: 'rotate:read' },
        basic(client.clientId, secret),
      );
    // Warm the cache with the old secret.
    for (let i = 0; i < 3; i++) expect((await issue(client.clientSecret)).status).toBe(200);
    const rotated = await f.admin<{ clientSecret: string }>('POST', `/clients/${client.clientId}/secret`);
    const refused = await issue(client.clientSecret);
    expect(refused.status).toBe(401);
    expect(refused.body?.error).toBe('invalid_client');
    expect((await issue(rotated.clientSecret)).status).toBe(200);
  });
});
