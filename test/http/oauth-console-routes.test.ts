import type { LightMyRequestResponse } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { newId } from '../../src/crypto/ids.js';
import { hashSecret } from '../../src/crypto/secrets.js';
import { client, startTestApp, TEST_PUBLIC_URL, type TestApp } from '../helpers/app.js';

/**
 * The admin routes the console's OAuth pages use beyond the registry: rotating a client's
 * secret (the old one refused at the token endpoint at once, the new one working) and a
 * signed-in person's own grants in words (`GET /grants/mine`), over the real app and SQLite,
 * with console sessions as the browser has them (cookie + CSRF).
 */
let t: TestApp;
let api: ReturnType<typeof client>;
beforeEach(async () => {
  t = await startTestApp();
  api = client(t.app, t.token);
});
afterEach(() => t.close());

const PASSWORD = 'a long enough password';
let addresses = 0;

/** A console session: its cookie and CSRF token, JSON under /api/admin. */
class Session {
  cookie = '';
  csrf = '';
  readonly remoteAddress = `198.51.100.${++addresses}`;

  static async of(email: string): Promise<Session> {
    const s = new Session();
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/admin/session',
      remoteAddress: s.remoteAddress,
      payload: { email, password: PASSWORD },
    });
    expect(res.statusCode, res.body).toBe(200);
    s.csrf = res.json().csrfToken;
    const raw = res.headers['set-cookie'];
    s.cookie = (Array.isArray(raw) ? raw : [raw ?? '']).map((l) => l.split(';')[0]).join('; ');
    return s;
  }

  call(method: 'GET' | 'POST' | 'DELETE', url: string): Promise<LightMyRequestResponse> {
    return t.app.inject({
      method,
      url: `/api/admin${url}`,
      remoteAddress: this.remoteAddress,
      headers: {
        cookie: this.cookie,
        ...(method === 'GET' ? {} : { 'x-csrf-token': this.csrf, origin: TEST_PUBLIC_URL }),
      },
    });
  }
}

async function user(email: string, role = 'member'): Promise<string> {
  const res = await api.post('/users', { email, password: PASSWORD, role });
  expect(res.statusCode, res.body).toBe(201);
  return res.json().id;
}

const token = (clientId: string, secret: string) =>
  t.app.inject({
    method: 'POST',
    url: `/oauth/${t.accountId}/token`,
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `Basic ${Buffer.from(`${clientId}:${secret}`).toString('base64')}`,
    },
    payload: 'grant_type=client_credentials&scope=billing%3Aread',
  });

describe('POST /clients/:clientId/secret', () => {
  it('gives a new secret once; the old one is refused at the token endpoint at once; audited', async () => {
    expect(
      (
        await api.post('/resource-servers', {
          identifier: 'https://billing.example.com',
          name: 'Billing',
          scopes: [{ name: 'billing:read', description: 'Read invoices' }],
        })
      ).statusCode,
    ).toBe(201);
    const created = (
      await api.post('/clients', { name: 'Nightly job', redirectUris: [], scopes: ['billing:read'] })
    ).json();
    expect((await token(created.clientId, created.clientSecret)).statusCode).toBe(200);

    const rotated = await api.post(`/clients/${created.clientId}/secret`, {});
    expect(rotated.statusCode, rotated.body).toBe(200);
    const body = rotated.json();
    const { clientSecret: _old, ...view } = created;
    expect(body).toEqual({ ...view, clientSecret: expect.stringMatching(/^khcs_[A-Za-z0-9_-]{43}$/) });
    expect(body.clientSecret).not.toBe(created.clientSecret);

    const old = await token(created.clientId, created.clientSecret);
    expect(old.statusCode).toBe(401);
    expect(old.json().error).toBe('invalid_client');
    expect((await token(created.clientId, body.clientSecret)).statusCode).toBe(200);

    const [event] = (await api.get(`/audit?resource=${created.clientId}&limit=1`)).json();
    expect(event).toMatchObject({ action: 'UPDATE', resourceType: 'OAUTH_CLIENT', result: 'SUCCESS' });
    expect(JSON.stringify((await api.get('/audit?limit=1000')).json())).not.toContain(body.clientSecret);
    expect(t.logs.join('\n')).not.toContain(body.clientSecret);
  });

  it('refuses a public client (no secret), an unknown client, a malformed id, and a member', async () => {
    const pub = (
      await api.post('/clients', {
        name: 'CLI',
        public: true,
        redirectUris: ['http://127.0.0.1:8765/cb'],
        scopes: ['vault:read'],
      })
    ).json();
    const publicAnswer = await api.post(`/clients/${pub.clientId}/secret`, {});
    expect(publicAnswer.statusCode).toBe(409);
    expect(publicAnswer.json()).toMatchObject({
      code: 'conflict',
      message: expect.stringContaining('public'),
    });
    const unknown = await api.post(`/clients/kc-${'a'.repeat(26)}/secret`, {});
    expect(unknown.statusCode).toBe(404);
    expect((await api.post('/clients/nope/secret', {})).statusCode).toBe(400);

    const web = (
      await api.post('/clients', {
        name: 'Web',
        redirectUris: ['https://app.example/cb'],
        scopes: ['vault:read'],
      })
    ).json();
    await user('member@example.com');
    const member = await Session.of('member@example.com');
    const refused = await member.call('POST', `/clients/${web.clientId}/secret`);
    expect(refused.statusCode).toBe(403);
    expect(refused.body).not.toContain('khcs_');
  });
});

describe('GET /grants/mine', () => {
  /** A grant of `userId` to the client, with one token issued at `issuedAt`, written through storage. */
  async function grant(userId: string, clientId: string, scopes: string[], issuedAt: string | null) {
    const now = new Date(Date.now() - 60_000).toISOString();
    const id = newId();
    await t.services.storage.grants.insert({
      id,
      accountId: t.accountId,
      userId,
      clientId,
      resource: 'urn:keyhold:vault-api',
      scopes,
      createdAt: now,
      updatedAt: now,
    });
    if (issuedAt !== null) {
      await t.services.storage.oauthTokens.insert({
        id: newId(),
        tokenHash: hashSecret(`khat_${newId()}`),
        kind: 'access',
        accountId: t.accountId,
        clientId,
        userId,
        grantId: id,
        codeId: null,
        resource: 'urn:keyhold:vault-api',
        scopes,
        createdAt: issuedAt,
        expiresAt: new Date(Date.now() + 3_600_000).toISOString(),
        revokedAt: null,
        rotatedAt: null,
        jkt: null,
      });
    }
    return id;
  }

  it('lists only the caller’s own grants in words, with when granted and last used; revokes own only', async () => {
    const app = (
      await api.post('/clients', {
        name: 'Notes app',
        redirectUris: ['https://app.example/cb'],
        scopes: ['vault:read', 'vault:write'],
      })
    ).json();
    const vault = (await api.post('/vaults', { name: 'Personal' })).json();
    const ada = await user('ada@example.com');
    const bob = await user('bob@example.com');
    await api.put(`/users/${ada}/vaults/${vault.id}`, { permissions: ['read', 'write'] });
    const used = new Date(Date.now() - 5_000).toISOString();
    const adas = await grant(ada, app.clientId, [`vault:${vault.id}:read`, `vault:${vault.id}:write`], used);
    const bobs = await grant(bob, app.clientId, ['vault:read'], null);

    const session = await Session.of('ada@example.com');
    const mine = await session.call('GET', '/grants/mine');
    expect(mine.statusCode, mine.body).toBe(200);
    expect(mine.json()).toEqual([
      {
        id: adas,
        clientId: app.clientId,
        clientName: 'Notes app',
        resource: 'urn:keyhold:vault-api',
        resourceName: 'Keyhold vault API',
        access: [
          {
            scope: `vault:${vault.id}:read`,
            words: 'Read the items in Personal (read includes passwords and other secret values)',
            vault: { id: vault.id, name: 'Personal' },
            permission: 'read',
          },
          {
            scope: `vault:${vault.id}:write`,
            words: 'Create, change and delete items in Personal',
            vault: { id: vault.id, name: 'Personal' },
            permission: 'write',
          },
        ],
        narrowedTo: null,
        createdAt: expect.any(String),
        updatedAt: expect.any(String),
        lastUsedAt: used,
        accessTokenTtl: 3600,
        refreshTokenTtl: 30 * 24 * 3600,
      },
    ]);

    const bobSession = await Session.of('bob@example.com');
    const bobsView = (await bobSession.call('GET', '/grants/mine')).json();
    expect(bobsView).toMatchObject([
      {
        id: bobs,
        lastUsedAt: null,
        access: [
          {
            words:
              'Read the items in every vault you can open (read includes passwords and other secret values)',
          },
        ],
      },
    ]);

    // Ada cannot revoke Bob's grant (not found: its existence is not revealed), only her own.
    expect((await session.call('DELETE', `/grants/${bobs}`)).statusCode).toBe(404);
    expect((await session.call('DELETE', `/grants/${adas}`)).statusCode).toBe(204);
    expect((await session.call('GET', '/grants/mine')).json()).toEqual([]);
    expect((await bobSession.call('GET', '/grants/mine')).json()).toHaveLength(1);
  });

  it('shows an owner their own grants only, not the account’s; an admin token has none (403)', async () => {
    const app = (
      await api.post('/clients', {
        name: 'Notes app',
        redirectUris: ['https://app.example/cb'],
        scopes: ['vault:read'],
      })
    ).json();
    const owner = await user('owner2@example.com', 'owner');
    const ada = await user('ada@example.com');
    const own = await grant(owner, app.clientId, ['vault:read'], null);
    await grant(ada, app.clientId, ['vault:read'], null);
    const session = await Session.of('owner2@example.com');
    expect((await session.call('GET', '/grants/mine')).json().map((g: { id: string }) => g.id)).toEqual([
      own,
    ]);
    // The account's grants are still there for the owner to review.
    expect((await session.call('GET', '/grants')).json()).toHaveLength(2);
    const token = await api.get('/grants/mine');
    expect(token.statusCode).toBe(403);
    expect(token.json().message).toContain('admin token');
    expect((await t.app.inject({ method: 'GET', url: '/api/admin/grants/mine' })).statusCode).toBe(401);
  });
});
