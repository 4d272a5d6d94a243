import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance, InjectOptions } from 'fastify';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import type { AccountAction, VaultAction } from '../../src/domain/access/actions.js';
import { decide } from '../../src/domain/access/decide.js';
import type { Principal } from '../../src/domain/access/principal.js';
import { ADMIN_TOKEN_ROLES, type AdminTokenRole } from '../../src/domain/access/roles.js';
import { buildApp } from '../../src/http/app.js';
import { initDataDir } from '../../src/main.js';
import { buildServices, type Services } from '../../src/services.js';
import type { Storage } from '../../src/storage/ports.js';

/**
 * Every admin API route, called with an admin token of every role: each answer must be what
 * `decide` says for the action the route stands for — 403 naming the permission when it refuses,
 * anything else when it allows. A route that decides on its own, or forgets to ask, fails here;
 * and the routes are read from Fastify itself, so a new route without a row fails too.
 */

interface Fixture {
  vaultId: string;
  itemId: string;
  fileId: string;
  userId: string;
  serverId: string;
  /** A fresh vault for a call that deletes one. */
  freshVault(): Promise<string>;
}

type Call = Omit<InjectOptions, 'method' | 'headers'> & { headers?: Record<string, string> };
interface Row {
  /** What the route asks `decide`: an account action, a vault action on the fixture vault, or nothing. */
  decides: { account: AccountAction } | { vault: VaultAction } | 'nothing' | 'filters vaults';
  call(f: Fixture, n: number): Call | Promise<Call>;
}

const FAKE = 'zzzzzzzzzzzzzzzzzzzzzzzzzz';
const json = (url: string, payload?: unknown): Call =>
  payload === undefined ? { url } : { url, payload: payload as Record<string, unknown> };
const octets = (url: string): Call => ({
  url,
  payload: Buffer.from('file bytes'),
  headers: { 'content-type': 'application/octet-stream' },
});
const item = (f: Fixture) => `/vaults/${f.vaultId}/items/${f.itemId}`;
const itemBody = { title: 'x', category: 'LOGIN', fields: [] };

/** One row per admin route, written out: `METHOD path` as Fastify registered it. */
const ROUTES: Record<string, Row> = {
  'GET /whoami': { decides: 'nothing', call: () => json('/whoami') },
  'POST /accounts': {
    decides: { account: 'accounts:manage' },
    call: (_f, n) => json('/accounts', { name: `acc ${n}` }),
  },
  'GET /accounts': { decides: { account: 'accounts:manage' }, call: () => json('/accounts') },
  'DELETE /accounts/:accountId': {
    decides: { account: 'accounts:manage' },
    call: () => json(`/accounts/${FAKE}`),
  },
  'GET /vaults': { decides: 'filters vaults', call: () => json('/vaults') },
  'POST /vaults': {
    decides: { account: 'vaults:create' },
    call: (_f, n) => json('/vaults', { name: `v ${n}` }),
  },
  'GET /vaults/:vaultId': { decides: { vault: 'list' }, call: (f) => json(`/vaults/${f.vaultId}`) },
  'DELETE /vaults/:vaultId': {
    decides: { vault: 'manage' },
    call: async (f) => json(`/vaults/${await f.freshVault()}`),
  },
  'GET /vaults/:vaultId/items': {
    decides: { vault: 'read' },
    call: (f) => json(`/vaults/${f.vaultId}/items`),
  },
  'POST /vaults/:vaultId/items': {
    decides: { vault: 'write' },
    call: (f) => json(`/vaults/${f.vaultId}/items`, itemBody),
  },
  'GET /vaults/:vaultId/items/:itemId': { decides: { vault: 'read' }, call: (f) => json(item(f)) },
  'PUT /vaults/:vaultId/items/:itemId': {
    decides: { vault: 'write' },
    call: (f) => json(`/vaults/${f.vaultId}/items/${FAKE}`, itemBody),
  },
  'DELETE /vaults/:vaultId/items/:itemId': {
    decides: { vault: 'write' },
    call: (f) => json(`/vaults/${f.vaultId}/items/${FAKE}`),
  },
  'GET /vaults/:vaultId/items/:itemId/versions': {
    decides: { vault: 'read' },
    call: (f) => json(`${item(f)}/versions`),
  },
  'GET /vaults/:vaultId/items/:itemId/versions/:version': {
    decides: { vault: 'read' },
    call: (f) => json(`${item(f)}/versions/1`),
  },
  'GET /vaults/:vaultId/items/:itemId/files': {
    decides: { vault: 'read' },
    call: (f) => json(`${item(f)}/files`),
  },
  'POST /vaults/:vaultId/items/:itemId/files': {
    decides: { vault: 'write' },
    call: (f) => octets(`${item(f)}/files?name=f.txt`),
  },
  'GET /vaults/:vaultId/items/:itemId/files/:fileId': {
    decides: { vault: 'read' },
    call: (f) => json(`${item(f)}/files/${f.fileId}`),
  },
  'GET /vaults/:vaultId/items/:itemId/files/:fileId/content': {
    decides: { vault: 'read' },
    call: (f) => json(`${item(f)}/files/${f.fileId}/content`),
  },
  'DELETE /vaults/:vaultId/items/:itemId/files/:fileId': {
    decides: { vault: 'write' },
    call: (f) => json(`${item(f)}/files/${FAKE}`),
  },
  'GET /users': { decides: { account: 'users:read' }, call: () => json('/users') },
  'POST /users': {
    decides: { account: 'users:write' },
    call: (_f, n) => json('/users', { email: `u${n}@example.com`, role: 'member' }),
  },
  'GET /users/:userId': { decides: { account: 'users:read' }, call: (f) => json(`/users/${f.userId}`) },
  'GET /users/:userId/vaults': {
    decides: { account: 'users:read' },
    call: (f) => json(`/users/${f.userId}/vaults`),
  },
  'PUT /users/:userId/vaults/:vaultId': {
    decides: { account: 'users:write' },
    call: (f) => json(`/users/${f.userId}/vaults/${f.vaultId}`, { permissions: ['read'] }),
  },
  'DELETE /users/:userId/vaults/:vaultId': {
    decides: { account: 'users:write' },
    call: (f) => json(`/users/${f.userId}/vaults/${f.vaultId}`),
  },
  'PUT /users/:userId/role': {
    decides: { account: 'users:write' },
    call: (f) => json(`/users/${f.userId}/role`, { role: 'member' }),
  },
  'POST /users/:userId/disable': {
    decides: { account: 'users:write' },
    call: (f) => json(`/users/${f.userId}/disable`),
  },
  'POST /users/:userId/enable': {
    decides: { account: 'users:write' },
    call: (f) => json(`/users/${f.userId}/enable`),
  },
  'POST /users/:userId/password-reset': {
    decides: { account: 'users:write' },
    call: (f) => json(`/users/${f.userId}/password-reset`),
  },
  'DELETE /users/:userId': { decides: { account: 'users:write' }, call: () => json(`/users/${FAKE}`) },
  'GET /users/:userId/mfa': {
    decides: { account: 'users:read' },
    call: (f) => json(`/users/${f.userId}/mfa`),
  },
  'DELETE /users/:userId/mfa': {
    decides: { account: 'users:write' },
    call: (f) => json(`/users/${f.userId}/mfa`),
  },
  'GET /account/policy': { decides: { account: 'account:read' }, call: () => json('/account/policy') },
  'PUT /account/policy': {
    decides: { account: 'account:update' },
    call: () => json('/account/policy', { requireMfa: false }),
  },
  'GET /audit': { decides: { account: 'audit:read' }, call: () => json('/audit') },
  'POST /servers': {
    decides: { account: 'connect:write' },
    call: (_f, n) => json('/servers', { name: `s ${n}`, vaults: [] }),
  },
  'GET /servers': { decides: { account: 'connect:read' }, call: () => json('/servers') },
  'GET /servers/:serverId': {
    decides: { account: 'connect:read' },
    call: (f) => json(`/servers/${f.serverId}`),
  },
  'PATCH /servers/:serverId': {
    decides: { account: 'connect:write' },
    call: (f) => json(`/servers/${f.serverId}`, { addVaults: [], removeVaults: [] }),
  },
  'DELETE /servers/:serverId': {
    decides: { account: 'connect:write' },
    call: () => json(`/servers/${FAKE}`),
  },
  'POST /servers/:serverId/tokens': {
    decides: { account: 'connect:write' },
    call: (f) =>
      json(`/servers/${f.serverId}/tokens`, {
        name: 't',
        vaults: [{ vaultId: f.vaultId, permissions: ['read'] }],
      }),
  },
  'GET /servers/:serverId/tokens': {
    decides: { account: 'connect:read' },
    call: (f) => json(`/servers/${f.serverId}/tokens`),
  },
  'DELETE /tokens/:tokenId': { decides: { account: 'connect:write' }, call: () => json(`/tokens/${FAKE}`) },
  'GET /keys': { decides: { account: 'keys:read' }, call: () => json('/keys') },
  'POST /keys/rotate': { decides: { account: 'keys:rotate' }, call: () => json('/keys/rotate', {}) },
  'POST /resource-servers': {
    decides: { account: 'oauth:write' },
    call: (_f, n) => json('/resource-servers', { identifier: `https://rs${n}.example/`, scopes: [] }),
  },
  'GET /resource-servers': { decides: { account: 'oauth:read' }, call: () => json('/resource-servers') },
  'DELETE /resource-servers/:id': {
    decides: { account: 'oauth:write' },
    call: () => json(`/resource-servers/${FAKE}`),
  },
  'POST /clients': {
    decides: { account: 'oauth:write' },
    call: (_f, n) =>
      json('/clients', { name: `c ${n}`, redirectUris: ['https://app.example/cb'], scopes: [] }),
  },
  'GET /clients': { decides: { account: 'oauth:read' }, call: () => json('/clients') },
  'GET /clients/:clientId': { decides: { account: 'oauth:read' }, call: () => json(`/clients/kc-${FAKE}`) },
  'DELETE /clients/:clientId': {
    decides: { account: 'oauth:write' },
    call: () => json(`/clients/kc-${FAKE}`),
  },
  'GET /scopes/check': { decides: { account: 'oauth:read' }, call: () => json('/scopes/check') },
  'GET /grants': { decides: { account: 'grants:read' }, call: () => json('/grants') },
  'DELETE /grants/:id': { decides: { account: 'grants:revoke' }, call: () => json(`/grants/${FAKE}`) },
  'POST /admin-tokens': {
    decides: { account: 'admin-tokens:write' },
    call: (_f, n) => json('/admin-tokens', { name: `t ${n}`, role: 'connect-manager' }),
  },
  'GET /admin-tokens': { decides: { account: 'admin-tokens:read' }, call: () => json('/admin-tokens') },
  'DELETE /admin-tokens/:tokenId': {
    decides: { account: 'admin-tokens:write' },
    call: () => json(`/admin-tokens/${FAKE}`),
  },
};

const PREFIX = '/api/admin';
let dir: string;
let app: FastifyInstance;
let services: Services;
let storage: Storage;
let accountId: string;
let owner: string;
const routes: string[] = [];
const tokens = new Map<AdminTokenRole, string>();
let fixture: Fixture;

async function call(token: string, method: string, c: Call) {
  return app.inject({
    method: method as 'GET',
    url: `${PREFIX}${c.url}`,
    ...(c.payload === undefined ? {} : { payload: c.payload }),
    headers: { authorization: `Bearer ${token}`, ...c.headers },
  });
}
async function created<T>(method: string, c: Call): Promise<T> {
  const res = await call(owner, method, c);
  if (res.statusCode >= 300) throw new Error(`${method} ${c.url as string}: ${res.statusCode} ${res.body}`);
  return res.json() as T;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'keyhold-roles-'));
  const config = loadConfig({ KEYHOLD_DATA_DIR: dir, KEYHOLD_LOG_LEVEL: 'silent' });
  const init = await initDataDir(config, { ownerPassword: 'correct horse battery staple' });
  storage = init.storage;
  accountId = init.accountId;
  owner = init.adminToken;
  services = buildServices(init.storage, init.keyring, { publicUrl: () => 'http://keyhold.test' });
  app = buildApp({
    services,
    logger: pino({ level: 'silent' }),
    limits: { json: config.bodyLimit, file: config.maxFileSize, inlineFile: config.maxInlineFileSize },
  });
  // Before ready(): the admin plugin is registered then, so every one of its routes passes here.
  app.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    if (!route.url.startsWith(`${PREFIX}/`)) return;
    for (const m of methods) if (m !== 'HEAD') routes.push(`${m} ${route.url.slice(PREFIX.length)}`);
  });
  await app.ready();

  tokens.set('owner', owner);
  for (const role of ADMIN_TOKEN_ROLES.filter((r) => r !== 'owner'))
    tokens.set(
      role,
      (await created<{ token: string }>('POST', json('/admin-tokens', { name: role, role }))).token,
    );
  const vaultId = (await created<{ id: string }>('POST', json('/vaults', { name: 'fixture' }))).id;
  const itemId = (await created<{ id: string }>('POST', json(`/vaults/${vaultId}/items`, itemBody))).id;
  const fileId = (
    await created<{ id: string }>('POST', octets(`/vaults/${vaultId}/items/${itemId}/files?name=a.txt`))
  ).id;
  const userId = (await created<{ id: string }>('POST', json('/users', { email: 'fixture@example.com' }))).id;
  const serverId = (
    await created<{ id: string }>('POST', json('/servers', { name: 'fixture', vaults: [vaultId] }))
  ).id;
  fixture = {
    vaultId,
    itemId,
    fileId,
    userId,
    serverId,
    freshVault: async () => (await created<{ id: string }>('POST', json('/vaults', { name: 'doomed' }))).id,
  };
});

afterAll(async () => {
  await app?.close();
  await services?.refusals.close();
  await storage?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** What the table says for a token of `role` in the operator account (the one `init` made). */
const principalOf = (role: AdminTokenRole): Principal => ({
  kind: 'admin_token',
  accountId,
  tokenId: 't',
  role,
  operator: true,
});

describe('every admin route answers each role as decide says', () => {
  it('has a row for every admin route, and no row for a route that is gone', () => {
    expect(routes.length).toBeGreaterThan(40);
    expect([...new Set(routes)].sort()).toEqual(Object.keys(ROUTES).sort());
  });

  let n = 0;
  it.each(Object.entries(ROUTES))('%s', async (route, row) => {
    const [method = ''] = route.split(' ');
    for (const role of ADMIN_TOKEN_ROLES) {
      const token = tokens.get(role) as string;
      const res = await call(token, method, await row.call(fixture, n++));
      const where = `${route} as ${role}: ${res.statusCode} ${res.body.slice(0, 300)}`;
      expect(res.statusCode, where).toBeLessThan(500);
      if (row.decides === 'nothing') {
        expect(res.statusCode, where).toBe(200);
        continue;
      }
      if (row.decides === 'filters vaults') {
        expect(res.statusCode, where).toBe(200);
        const listed = (res.json() as { id: string }[]).some((v) => v.id === fixture.vaultId);
        expect(listed, where).toBe(
          decide(principalOf(role), 'list', { id: fixture.vaultId, accountId }).allow,
        );
        continue;
      }
      const decision =
        'account' in row.decides
          ? decide(principalOf(role), row.decides.account, { accountId })
          : decide(principalOf(role), row.decides.vault, { id: fixture.vaultId, accountId });
      if (decision.allow) {
        expect(res.statusCode, where).not.toBe(403);
      } else {
        expect(res.statusCode, where).toBe(403);
        const permission = 'account' in row.decides ? row.decides.account : row.decides.vault;
        expect(res.json(), where).toEqual({
          status: 403,
          code: 'forbidden',
          message: expect.stringContaining(`the ${permission} permission`),
        });
      }
    }
  });
});

describe('Connect servers and the vaults they reach', () => {
  it('a connect-manager gives no server a vault, yet issues tokens for the vaults an owner gave one', async () => {
    const token = tokens.get('connect-manager') as string;
    const attach = await call(token, 'POST', json('/servers', { name: 'reach', vaults: [fixture.vaultId] }));
    expect(attach.statusCode).toBe(403);
    expect(attach.json().message).toBe('role connect-manager does not have the manage permission on vaults');
    const add = await call(
      token,
      'PATCH',
      json(`/servers/${fixture.serverId}`, { addVaults: [fixture.vaultId] }),
    );
    expect(add.statusCode).toBe(403);
    const issued = await call(
      token,
      'POST',
      json(`/servers/${fixture.serverId}/tokens`, {
        name: 'app',
        vaults: [{ vaultId: fixture.vaultId, permissions: ['read'] }],
      }),
    );
    expect(issued.statusCode, issued.body).toBe(201);
    // Taking a vault away needs no power over the vault.
    const remove = await call(
      token,
      'PATCH',
      json(`/servers/${fixture.serverId}`, { removeVaults: [fixture.vaultId] }),
    );
    expect(remove.statusCode, remove.body).toBe(200);
  });
});
