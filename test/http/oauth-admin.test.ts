import { generateKeyPairSync } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { newId } from '../../src/crypto/ids.js';
import { hashSecret } from '../../src/crypto/secrets.js';
import type { RequestContext } from '../../src/domain/context.js';
import { client, startTestApp, type TestApp } from '../helpers/app.js';
import { adminSetup } from '../helpers/connect-app.js';

/**
 * The OAuth registry through the admin API: resource servers, clients, the catalog lint and
 * grants, over a real SQLite database. The seed's lockout story — a client registered with
 * `Vault:Read` against a catalog defining `vault:read` — is refused here, at registration.
 */

let t: TestApp;
let api: ReturnType<typeof client>;
beforeEach(async () => {
  t = await startTestApp();
  api = client(t.app, t.token);
});
afterEach(() => t.close());

const BILLING = 'https://billing.example.com';
const CALLBACK = 'https://app.example.com/callback';
const CLIENT_ID = /^kc-[a-z0-9]{26}$/;
const ID = /^[a-z0-9]{26}$/;

type Response = Awaited<ReturnType<typeof api.get>>;

function created(res: Response) {
  expect(res.statusCode, res.body).toBe(201);
  return res.json();
}

/** A 4xx refusal in the admin API's error shape; returns the message. */
function refused(res: Response, status: number, code = status === 400 ? 'invalid_input' : undefined): string {
  expect(res.statusCode, res.body).toBe(status);
  const body = res.json() as { status: number; code: string; message: string };
  expect(body.status).toBe(status);
  if (code !== undefined) expect(body.code).toBe(code);
  return body.message;
}

const billingServer = (extra: Record<string, unknown> = {}) =>
  api.post('/resource-servers', {
    identifier: BILLING,
    name: 'Billing API',
    scopes: [
      { name: 'billing:read', description: 'Read your invoices' },
      { name: 'billing:write', description: 'Pay your invoices', exclusive: true },
    ],
    ...extra,
  });

const webClient = (extra: Record<string, unknown> = {}) =>
  api.post('/clients', { name: 'Web app', redirectUris: [CALLBACK], scopes: ['vault:read'], ...extra });

const listClients = async () => (await api.get('/clients')).json() as unknown[];
const listServers = async () => (await api.get('/resource-servers')).json() as { id: string | null }[];

describe('resource servers', () => {
  it('registers one with its scopes, shows its secret once, lists it after the built-in vault API and deletes it', async () => {
    const server = created(await billingServer());
    expect(server).toMatchObject({
      identifier: BILLING,
      name: 'Billing API',
      tokenFormat: 'opaque',
      accessTokenTtl: 3600,
      builtIn: false,
      scopes: [
        { name: 'billing:read', description: 'Read your invoices', exclusive: false },
        { name: 'billing:write', description: 'Pay your invoices', exclusive: true },
      ],
    });
    expect(server.id).toMatch(ID);
    expect(server.secret).toMatch(/^khrs_[A-Za-z0-9_-]{43}$/);

    const list = (await api.get('/resource-servers')).json();
    expect(list).toHaveLength(3);
    expect(list[0]).toMatchObject({ id: null, identifier: 'urn:keyhold:vault-api', builtIn: true });
    expect(list[0].scopes.map((s: { name: string }) => s.name)).toContain('vault:read');
    expect(list[1]).toMatchObject({ id: null, identifier: 'urn:keyhold:openid', builtIn: true });
    const { secret: _secret, ...withoutSecret } = server;
    expect(list[2]).toEqual(withoutSecret);
    expect(JSON.stringify(list)).not.toContain(server.secret);

    expect((await api.delete(`/resource-servers/${server.id}`)).statusCode).toBe(204);
    expect(await listServers()).toHaveLength(2);
    refused(await api.delete(`/resource-servers/${server.id}`), 404, 'not_found');

    const events = (await api.get('/audit?limit=5')).json() as {
      action: string;
      resourceType: string;
      resourceId: string;
    }[];
    expect(events.slice(0, 2).map((e) => `${e.action} ${e.resourceType} ${e.resourceId}`)).toEqual([
      `DELETE RESOURCE_SERVER ${server.id}`,
      `CREATE RESOURCE_SERVER ${server.id}`,
    ]);
  });

  it('takes a JWT token format, a lifetime, and defaults the name to the identifier', async () => {
    const server = created(
      await api.post('/resource-servers', {
        identifier: 'urn:example:reports',
        scopes: [{ name: 'reports:read', description: 'Read reports' }],
        tokenFormat: 'jwt',
        accessTokenTtl: 600,
      }),
    );
    expect(server).toMatchObject({ name: 'urn:example:reports', tokenFormat: 'jwt', accessTokenTtl: 600 });
  });

  it('refuses a scope that differs only in case from an existing one, naming it', async () => {
    created(await billingServer());
    const message = refused(
      await api.post('/resource-servers', {
        identifier: 'https://other.example.com',
        scopes: [{ name: 'Billing:Read', description: 'Read invoices, again' }],
      }),
      400,
    );
    expect(message).toContain('`Billing:Read` differs only in case from `billing:read`');
    // The built-in vault API's names are taken the same way.
    const vault = refused(
      await api.post('/resource-servers', {
        identifier: 'https://other.example.com',
        scopes: [{ name: 'Vault:Read', description: 'Read vaults' }],
      }),
      400,
    );
    expect(vault).toContain('differs only in case from `vault:read`');
    expect(await listServers()).toHaveLength(3);
  });

  it('refuses to delete a resource server whose scope a client still lists, naming the client', async () => {
    const server = created(await billingServer());
    const app = created(await webClient({ name: 'Invoices app', scopes: ['billing:read'] }));
    const message = refused(await api.delete(`/resource-servers/${server.id}`), 409, 'conflict');
    expect(message).toContain(app.clientId);
    expect(message).toContain('Invoices app');
    expect(message).toContain('`billing:read`');
    expect(await listServers()).toHaveLength(3);
    // Once the client is gone, so is the obstacle.
    expect((await api.delete(`/clients/${app.clientId}`)).statusCode).toBe(204);
    expect((await api.delete(`/resource-servers/${server.id}`)).statusCode).toBe(204);
  });

  it('refuses bad input with a message naming the field, and creates nothing', async () => {
    const scopes = [{ name: 'x:read', description: 'Read x' }];
    const cases: [unknown, string][] = [
      [{ identifier: BILLING, scopes, owner: 'me' }, 'body: unknown field "owner"'],
      [
        { identifier: BILLING, scopes: [{ ...scopes[0], extra: true }] },
        'body: scopes.0: unknown field "extra"',
      ],
      [
        { identifier: BILLING, scopes, tokenFormat: 'paseto' },
        'body: tokenFormat: must be one of opaque, jwt',
      ],
      [{ identifier: BILLING, scopes, accessTokenTtl: 30 }, 'body: accessTokenTtl: must be at least 60'],
      [
        { identifier: BILLING, scopes, accessTokenTtl: 86_401 },
        'body: accessTokenTtl: must be at most 86400',
      ],
      [{ identifier: BILLING, scopes, accessTokenTtl: 90.5 }, 'body: accessTokenTtl: expected integer'],
      [{ identifier: BILLING }, 'body: scopes: required'],
      [{ identifier: BILLING, scopes: [{ name: 'x:read' }] }, 'body: scopes.0.description: required'],
      [{ identifier: BILLING, scopes, name: 'a\nb' }, 'body: name: must not contain control characters'],
      [{ identifier: 'not a uri', scopes }, 'is not an absolute URI without a fragment'],
      [{ identifier: `${BILLING}#frag`, scopes }, 'is not an absolute URI without a fragment'],
      [
        { identifier: BILLING, scopes: [{ name: 'x read', description: 'x' }] },
        'Invalid scope name `x read`',
      ],
      [{ identifier: BILLING, scopes: [...scopes, ...scopes] }, 'scope `x:read` is listed twice'],
    ];
    for (const [body, message] of cases) {
      expect(refused(await api.post('/resource-servers', body), 400), JSON.stringify(body)).toContain(
        message,
      );
    }
    expect(
      refused(await api.post('/resource-servers', { identifier: 'urn:keyhold:vault-api', scopes }), 409),
    ).toContain('built-in vault API');
    expect(await listServers()).toHaveLength(2);
    expect(refused(await api.delete('/resource-servers/not-an-id'), 400)).toContain(
      'path: id: must be a 26-character id',
    );
    refused(await api.delete(`/resource-servers/${newId()}`), 404, 'not_found');
  });
});

describe('clients', () => {
  it('registers a confidential client, shows its secret once, reads, lists and deletes it', async () => {
    const app = created(await webClient());
    expect(app).toMatchObject({
      name: 'Web app',
      authMethod: 'client_secret_basic',
      redirectUris: [CALLBACK],
      grantTypes: ['authorization_code', 'refresh_token'],
      scopes: ['vault:read'],
    });
    expect(app.clientId).toMatch(CLIENT_ID);
    expect(app.clientSecret).toMatch(/^khcs_[A-Za-z0-9_-]{43}$/);
    const { clientSecret: _secret, ...view } = app;
    expect((await api.get(`/clients/${app.clientId}`)).json()).toEqual(view);
    expect(await listClients()).toEqual([view]);

    expect((await api.delete(`/clients/${app.clientId}`)).statusCode).toBe(204);
    refused(await api.get(`/clients/${app.clientId}`), 404, 'not_found');
    refused(await api.delete(`/clients/${app.clientId}`), 404, 'not_found');
    expect(await listClients()).toEqual([]);
    const events = (await api.get('/audit?limit=2')).json() as { action: string; resourceType: string }[];
    expect(events.map((e) => `${e.action} ${e.resourceType}`)).toEqual([
      'DELETE OAUTH_CLIENT',
      'CREATE OAUTH_CLIENT',
    ]);
  });

  it('registers a public client without a secret, and a service client for client_credentials', async () => {
    const native = created(
      await webClient({ name: 'CLI', public: true, redirectUris: ['http://127.0.0.1:8765/cb'] }),
    );
    expect(native).toMatchObject({ authMethod: 'none', grantTypes: ['authorization_code', 'refresh_token'] });
    expect(native).not.toHaveProperty('clientSecret');

    created(await billingServer());
    const service = created(
      await api.post('/clients', { name: 'Nightly job', redirectUris: [], scopes: ['billing:write'] }),
    );
    expect(service).toMatchObject({ grantTypes: ['client_credentials'], authMethod: 'client_secret_basic' });
    expect(service.clientSecret).toMatch(/^khcs_/);
  });

  it('registers a private_key_jwt client from its public JWK Set', async () => {
    const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const jwk = { ...publicKey.export({ format: 'jwk' }), kid: 'k1', alg: 'ES256' };
    const app = created(await webClient({ jwks: { keys: [jwk] } }));
    expect(app.authMethod).toBe('private_key_jwt');
    expect(app).not.toHaveProperty('clientSecret');
  });

  describe('the seed’s lockout story: a misspelled scope is refused with the near-miss named', () => {
    it('refuses `Vault:Read` and suggests `vault:read`', async () => {
      const message = refused(await webClient({ scopes: ['Vault:Read'] }), 400);
      expect(message).toBe('scope `Vault:Read` is not in the catalog (did you mean `vault:read`?)');
      expect(await listClients()).toEqual([]);
    });

    it('refuses `billing:raed` when `billing:read` exists and names it', async () => {
      created(await billingServer());
      const message = refused(await webClient({ scopes: ['vault:read', 'billing:raed'] }), 400);
      expect(message).toBe('scope `billing:raed` is not in the catalog (did you mean `billing:read`?)');
      expect(await listClients()).toEqual([]);
    });

    it('names no suggestion when nothing is close', async () => {
      expect(refused(await webClient({ scopes: ['payroll:admin'] }), 400)).toBe(
        'scope `payroll:admin` is not in the catalog',
      );
    });

    it('accepts an instance of a dynamic scope', async () => {
      const vaultId = newId();
      const app = created(await webClient({ scopes: [`vault:${vaultId}:read`] }));
      expect(app.scopes).toEqual([`vault:${vaultId}:read`]);
    });
  });

  it('refuses bad input with a helpful message, and creates nothing', async () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const privateJwk = privateKey.export({ format: 'jwk' });
    const base = { name: 'Web app', redirectUris: [CALLBACK], scopes: ['vault:read'] };
    const cases: [Record<string, unknown>, string][] = [
      [{ ...base, homepage: 'https://x' }, 'body: unknown field "homepage"'],
      [
        { ...base, redirectUris: ['http://app.example.com/cb'] },
        '`http` is allowed only for the loopback IP literals',
      ],
      [{ ...base, redirectUris: ['http://localhost:3000/cb'] }, '`localhost` is not allowed'],
      [{ ...base, redirectUris: ['javascript:alert(1)'] }, 'the `javascript:` scheme is never allowed'],
      [{ ...base, redirectUris: ['https://app.example.com/*'] }, 'wildcards (`*`) are not allowed'],
      [{ ...base, redirectUris: [`${CALLBACK}#x`] }, 'fragment'],
      [
        { ...base, public: true, grantTypes: ['client_credentials'] },
        'a public client cannot use client_credentials: it cannot keep a secret',
      ],
      [{ ...base, public: true, authMethod: 'client_secret_basic' }, 'its authMethod must be `none`'],
      [
        { ...base, grantTypes: ['password'] },
        'body: grantTypes.0: must be one of authorization_code, refresh_token, client_credentials, urn:ietf:params:oauth:grant-type:token-exchange',
      ],
      [{ ...base, grantTypes: ['refresh_token'] }, 'refresh_token comes with authorization_code'],
      [{ ...base, redirectUris: [], grantTypes: ['authorization_code'] }, 'needs at least one redirect URI'],
      [
        { ...base, jwks: { keys: [privateJwk] } },
        'jwks holds a private or symmetric key: register only the public key',
      ],
      [{ ...base, jwks: { keys: [{ kty: 'oct', k: 'c2VjcmV0' }] } }, 'jwks holds a private or symmetric key'],
      [{ ...base, jwks: 'not an object' }, 'body: jwks: expected record'],
      [{ ...base, authMethod: 'private_key_jwt' }, 'private_key_jwt needs the client’s public keys (jwks)'],
      [{ ...base, name: '' }, 'body: name: must not be empty'],
      [{ ...base, redirectUris: 'https://x' }, 'body: redirectUris: expected array'],
      [{ name: 'Web app', scopes: ['vault:read'] }, 'body: redirectUris: required'],
      [{ ...base, scopes: ['vault read'] }, 'scope `vault read` is not in the catalog'],
    ];
    for (const [body, message] of cases) {
      expect(refused(await api.post('/clients', body), 400), JSON.stringify(body)).toContain(message);
    }
    expect(await listClients()).toEqual([]);
    // The private key that was sent by mistake is in no log line and no audit event.
    expect(t.logs.join('\n')).not.toContain(privateJwk.d as string);
    expect(JSON.stringify((await api.get('/audit?limit=1000')).json())).not.toContain(privateJwk.d as string);

    expect(refused(await api.get(`/clients/${newId()}`), 400)).toContain(
      'path: clientId: must be a client id',
    );
    refused(await api.get(`/clients/kc-${newId()}`), 404, 'not_found');
  });
});

describe('scopes/check', () => {
  it('reports ok with no problems on a clean catalog', async () => {
    expect((await api.get('/scopes/check')).json()).toEqual({ ok: true, problems: [] });
    created(await billingServer());
    created(await webClient({ scopes: ['vault:read', 'billing:read', 'billing:write'] }));
    expect((await api.get('/scopes/check')).json()).toEqual({ ok: true, problems: [] });
  });

  it('reports a warning without failing, and a client stored before the rule as an error with its near-miss', async () => {
    const server = created(
      await api.post('/resource-servers', {
        identifier: BILLING,
        scopes: [{ name: 'billing:admin', description: 'Administer billing', exclusive: true }],
      }),
    );
    const warned = (await api.get('/scopes/check')).json();
    expect(warned.ok).toBe(true);
    expect(warned.problems).toEqual([
      expect.objectContaining({
        severity: 'warning',
        code: 'exclusive_scope_unused',
        subject: 'billing:admin',
      }),
    ]);

    // The seed's catalog: a client written straight into storage, as before registration checked it.
    const clientId = `kc-${newId()}`;
    await t.services.storage.clients.insert({
      id: clientId,
      accountId: t.accountId,
      name: 'Legacy app',
      authMethod: 'none',
      secretHash: null,
      jwks: null,
      redirectUris: [CALLBACK],
      grantTypes: ['authorization_code'],
      scopes: ['Vault:Read'],
      createdAt: new Date().toISOString(),
      dpopBoundAccessTokens: false,
      requirePushedRequests: false,
      fapi2SecurityProfile: false,
    });
    const result = (await api.get('/scopes/check')).json();
    expect(result.ok).toBe(false);
    expect(result.problems[0]).toEqual({
      severity: 'error',
      code: 'client_scope_unknown',
      subject: clientId,
      message: `Client \`${clientId}\` may request \`Vault:Read\`, which no resource server defines (did you mean \`vault:read\`?)`,
      suggestion: 'vault:read',
    });
    expect(result.problems.map((p: { severity: string }) => p.severity)).toEqual(['error', 'warning']);
    expect(server.id).toMatch(ID);
  });
});

describe('grants', () => {
  /** A user, a client and a grant with one access token, written through storage (consent is not under test here). */
  async function grantFor(email: string, clientId: string) {
    const user = created(await api.post('/users', { email }));
    const now = new Date().toISOString();
    const grantId = newId();
    await t.services.storage.grants.insert({
      id: grantId,
      accountId: t.accountId,
      userId: user.id,
      clientId,
      resource: 'urn:keyhold:vault-api',
      scopes: ['vault:read'],
      createdAt: now,
      updatedAt: now,
    });
    const token = `khat_${newId()}`;
    await t.services.storage.oauthTokens.insert({
      id: newId(),
      tokenHash: hashSecret(token),
      kind: 'access',
      accountId: t.accountId,
      clientId,
      userId: user.id,
      grantId,
      codeId: null,
      resource: 'urn:keyhold:vault-api',
      scopes: ['vault:read'],
      createdAt: now,
      expiresAt: new Date(Date.now() + 3_600_000).toISOString(),
      revokedAt: null,
      rotatedAt: null,
      jkt: null,
    });
    return { userId: user.id as string, grantId, token };
  }

  const userContext = (userId: string): RequestContext => ({
    actor: { type: 'user', id: userId, accountId: t.accountId, tokenId: null },
    principal: {
      kind: 'user',
      accountId: t.accountId,
      userId,
      role: 'member',
      operator: false,
      vaults: new Map(),
    },
    requestId: null,
    ip: null,
    userAgent: null,
  });

  it('lists the account’s grants (or one user’s) and revokes one with its tokens, audited', async () => {
    expect((await api.get('/grants')).json()).toEqual([]);
    const app = created(await webClient());
    const ada = await grantFor('ada@example.com', app.clientId);
    const bob = await grantFor('bob@example.com', app.clientId);

    const all = (await api.get('/grants')).json();
    expect(all).toHaveLength(2);
    expect(all.find((g: { id: string }) => g.id === ada.grantId)).toEqual({
      id: ada.grantId,
      userId: ada.userId,
      clientId: app.clientId,
      clientName: 'Web app',
      resource: 'urn:keyhold:vault-api',
      scopes: ['vault:read'],
      createdAt: expect.any(String),
      updatedAt: expect.any(String),
    });
    const bobs = (await api.get(`/grants?userId=${bob.userId}`)).json();
    expect(bobs.map((g: { id: string }) => g.id)).toEqual([bob.grantId]);

    expect((await api.delete(`/grants/${ada.grantId}`)).statusCode).toBe(204);
    expect(await t.services.storage.oauthTokens.findByHash(hashSecret(ada.token))).toBeUndefined();
    expect(await t.services.storage.oauthTokens.findByHash(hashSecret(bob.token))).toBeDefined();
    expect((await api.get('/grants')).json().map((g: { id: string }) => g.id)).toEqual([bob.grantId]);
    refused(await api.delete(`/grants/${ada.grantId}`), 404, 'not_found');
    const [event] = (await api.get('/audit?limit=1')).json();
    expect(event).toMatchObject({ action: 'DELETE', resourceType: 'OAUTH_GRANT', resourceId: ada.grantId });
  });

  it('lets a user see and revoke only their own grants; another user’s is not found', async () => {
    const app = created(await webClient());
    const ada = await grantFor('ada@example.com', app.clientId);
    const bob = await grantFor('bob@example.com', app.clientId);
    const grants = t.services.grants;

    const seen = await grants.list(userContext(ada.userId), { userId: bob.userId });
    expect(seen.map((g) => g.id)).toEqual([ada.grantId]);
    await expect(grants.revoke(userContext(ada.userId), bob.grantId)).rejects.toMatchObject({
      status: 404,
      code: 'not_found',
      message: `grant ${bob.grantId} not found`,
    });
    expect(await t.services.storage.grants.get(t.accountId, bob.grantId)).toBeDefined();
    await grants.revoke(userContext(ada.userId), ada.grantId);
    expect(await t.services.storage.grants.get(t.accountId, ada.grantId)).toBeUndefined();
    expect(await t.services.storage.oauthTokens.findByHash(hashSecret(ada.token))).toBeUndefined();
  });

  it('refuses a malformed grant id or query', async () => {
    expect(refused(await api.delete('/grants/nope'), 400)).toContain('path: id: must be a 26-character id');
    expect(refused(await api.get('/grants?userId=nope'), 400)).toContain(
      'query: userId: must be a 26-character id',
    );
    expect(refused(await api.get('/grants?user=x'), 400)).toContain('query: unknown field "user"');
  });
});

describe('authentication and secrets', () => {
  const routes: ['GET' | 'POST' | 'DELETE', string][] = [
    ['POST', '/resource-servers'],
    ['GET', '/resource-servers'],
    ['DELETE', `/resource-servers/${'a'.repeat(26)}`],
    ['POST', '/clients'],
    ['GET', '/clients'],
    ['GET', `/clients/kc-${'a'.repeat(26)}`],
    ['DELETE', `/clients/kc-${'a'.repeat(26)}`],
    ['POST', `/clients/kc-${'a'.repeat(26)}/secret`],
    ['GET', '/scopes/check'],
    ['GET', '/grants'],
    ['GET', '/grants/mine'],
    ['DELETE', `/grants/${'a'.repeat(26)}`],
  ];

  it('refuses every route without a token and with a Connect token', async () => {
    const setup = adminSetup(t);
    const vault = await setup.vault('Shared');
    const server = await setup.server([vault.id]);
    const connect = await setup.token(server.id, [{ vaultId: vault.id, permissions: ['read'] }]);
    for (const [method, url] of routes) {
      const none = await t.app.inject({ method, url: `/api/admin${url}` });
      expect(none.statusCode, `${method} ${url}`).toBe(401);
      const res = await t.app.inject({
        method,
        url: `/api/admin${url}`,
        headers: { authorization: `Bearer ${connect.token}` },
        ...(method === 'POST' ? { payload: { name: 'x' } } : {}),
      });
      expect(res.statusCode, `${method} ${url}`).toBe(401);
      expect(res.json().message).toBe('Invalid admin token');
    }
    expect(await listClients()).toEqual([]);
    expect(await listServers()).toHaveLength(2);
  });

  it('keeps the secrets it shows once out of the logs and the audit trail', async () => {
    const server = created(await billingServer());
    const app = created(await webClient({ scopes: ['billing:read'] }));
    await api.get('/resource-servers');
    await api.get('/clients');
    await api.get(`/clients/${app.clientId}`);
    await api.get('/scopes/check');
    const logs = t.logs.join('\n');
    expect(logs).toContain(`/api/admin/clients/${app.clientId}`);
    const audit = JSON.stringify((await api.get('/audit?limit=1000')).json());
    expect(audit).toContain(app.clientId);
    for (const secret of [server.secret as string, app.clientSecret as string]) {
      expect(logs).not.toContain(secret);
      expect(audit).not.toContain(secret);
      // Not even the random part, in case something strips the prefix.
      expect(logs).not.toContain(secret.slice(5));
    }
  });
});
