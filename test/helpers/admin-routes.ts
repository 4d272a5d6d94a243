import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import { pino } from 'pino';
import { expect } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import type { AccountAction, VaultAction } from '../../src/domain/access/actions.js';
import { decide } from '../../src/domain/access/decide.js';
import type { Principal } from '../../src/domain/access/principal.js';
import { buildApp } from '../../src/http/app.js';
import { initDataDir } from '../../src/main.js';
import { buildServices, type Services } from '../../src/services.js';
import type { Storage } from '../../src/storage/ports.js';

/**
 * Every admin API route, as a row saying what it asks `decide` and how to call it, and the
 * check that an answer is what `decide` says: shared by the tests that call every route with
 * an admin token of every role (admin-roles.test.ts) and as a signed-in person of every role
 * (admin-roles-people.test.ts). The routes are read from Fastify itself, so a new route without
 * a row fails there.
 */

export interface Fixture {
  vaultId: string;
  itemId: string;
  fileId: string;
  userId: string;
  serverId: string;
  /** A fresh vault for a call that deletes one. */
  freshVault(): Promise<string>;
}

export type Call = Omit<InjectOptions, 'method' | 'headers'> & {
  headers?: Record<string, string>;
  /** The vault the call acts on, when it is not the fixture vault (what `decide` is asked about). */
  vault?: string;
};
export interface Row {
  /** What the route asks `decide`: an account action, a vault action on the fixture vault, or nothing. */
  decides:
    | { account: AccountAction }
    | { vault: VaultAction }
    | 'nothing'
    | 'filters vaults'
    /** The caller's own records as a person (connected applications): an admin token has none. */
    | 'people only';
  /**
   * A person whom `decide` refuses this account action is answered about their own records
   * instead (authorizeGrants: anyone may see and withdraw what they approved themselves).
   */
  ownForPeople?: true;
  call(f: Fixture, n: number): Call | Promise<Call>;
}

export const FAKE = 'zzzzzzzzzzzzzzzzzzzzzzzzzz';
export const json = (url: string, payload?: unknown): Call =>
  payload === undefined ? { url } : { url, payload: payload as Record<string, unknown> };
export const octets = (url: string): Call => ({
  url,
  payload: Buffer.from('file bytes'),
  headers: { 'content-type': 'application/octet-stream' },
});
const item = (f: Fixture) => `/vaults/${f.vaultId}/items/${f.itemId}`;
export const itemBody = { title: 'x', category: 'LOGIN', fields: [] };

/** One row per admin route, written out: `METHOD path` as Fastify registered it. */
export const ROUTES: Record<string, Row> = {
  'GET /whoami': { decides: 'nothing', call: () => json('/whoami') },
  'GET /openapi.json': { decides: 'nothing', call: () => json('/openapi.json') },
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
  'PATCH /vaults/:vaultId': {
    decides: { vault: 'manage' },
    call: (f) => json(`/vaults/${f.vaultId}`, { description: 'renamed by the role test' }),
  },
  'DELETE /vaults/:vaultId': {
    decides: { vault: 'manage' },
    call: async (f) => {
      const vault = await f.freshVault();
      return { ...json(`/vaults/${vault}`), vault };
    },
  },
  'GET /vaults/:vaultId/items': {
    decides: { vault: 'read' },
    call: (f) => json(`/vaults/${f.vaultId}/items`),
  },
  'GET /vaults/:vaultId/items/search': {
    decides: { vault: 'read' },
    call: (f) => json(`/vaults/${f.vaultId}/items/search?q=a&limit=10`),
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
  'POST /vaults/:vaultId/items/:itemId/versions/:version/restore': {
    decides: { vault: 'write' },
    call: (f) => json(`/vaults/${f.vaultId}/items/${FAKE}/versions/1/restore`, {}),
  },
  'GET /vaults/:vaultId/trash': {
    decides: { vault: 'read' },
    call: (f) => json(`/vaults/${f.vaultId}/trash`),
  },
  'POST /vaults/:vaultId/trash/:itemId/undelete': {
    decides: { vault: 'write' },
    call: (f) => json(`/vaults/${f.vaultId}/trash/${FAKE}/undelete`),
  },
  'DELETE /vaults/:vaultId/trash/:itemId': {
    decides: { vault: 'write' },
    call: (f) => json(`/vaults/${f.vaultId}/trash/${FAKE}`),
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
  // The fixture user is nobody's self here: renaming them needs what a role change needs.
  'PUT /users/:userId/name': {
    decides: { account: 'users:write' },
    call: (f, n) => json(`/users/${f.userId}/name`, { name: `Fixture ${n}` }),
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
  'GET /audit/export': {
    decides: { account: 'audit:read' },
    call: () => json('/audit/export?action=READ'),
  },
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
  'POST /servers/:serverId/credentials': {
    decides: { account: 'connect:write' },
    call: () => json(`/servers/${FAKE}/credentials`, {}),
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
  'POST /keys/:kid/withdraw': {
    decides: { account: 'keys:withdraw' },
    call: () => json(`/keys/${FAKE}/withdraw`, {}),
  },
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
  'PATCH /clients/:clientId': {
    decides: { account: 'oauth:write' },
    call: () => json(`/clients/kc-${FAKE}`, { name: 'renamed' }),
  },
  'POST /clients/:clientId/secret': {
    decides: { account: 'oauth:write' },
    call: () => json(`/clients/kc-${FAKE}/secret`, {}),
  },
  'GET /grants/mine': { decides: 'people only', call: () => json('/grants/mine') },
  'GET /scopes/check': { decides: { account: 'oauth:read' }, call: () => json('/scopes/check') },
  'GET /grants': { decides: { account: 'grants:read' }, ownForPeople: true, call: () => json('/grants') },
  'DELETE /grants/:id': {
    decides: { account: 'grants:revoke' },
    ownForPeople: true,
    call: () => json(`/grants/${FAKE}`),
  },
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

export const PREFIX = '/api/admin';

/** The app over a fresh data directory, the admin routes it registered, and the fixture records. */
export interface RoutesScene {
  app: FastifyInstance;
  services: Services;
  storage: Storage;
  accountId: string;
  /** The operator owner token `init` made. */
  owner: string;
  ownerEmail: string;
  ownerPassword: string;
  /** `METHOD path` of every admin route, as Fastify registered it. */
  routes: string[];
  fixture: Fixture;
  call(token: string, method: string, c: Call): Promise<LightMyRequestResponse>;
  /** Calls as the owner token; throws with the body on anything but success. */
  created<T>(method: string, c: Call): Promise<T>;
  close(): Promise<void>;
}

export async function startRoutesScene(): Promise<RoutesScene> {
  const dir = mkdtempSync(join(tmpdir(), 'keyhold-roles-'));
  const ownerPassword = 'correct horse battery staple';
  const config = loadConfig({ KEYHOLD_DATA_DIR: dir, KEYHOLD_LOG_LEVEL: 'silent' });
  const init = await initDataDir(config, { ownerPassword });
  const services = buildServices(init.storage, init.keyring, { publicUrl: () => 'http://keyhold.test' });
  const app = buildApp({
    services,
    logger: pino({ level: 'silent' }),
    limits: { json: config.bodyLimit, file: config.maxFileSize, inlineFile: config.maxInlineFileSize },
  });
  const routes: string[] = [];
  // Before ready(): the admin plugin is registered then, so every one of its routes passes here.
  app.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    if (!route.url.startsWith(`${PREFIX}/`)) return;
    // The console's own session (console-session.ts): signed in with a password, authenticated
    // by its cookie alone, never by a token nor decided by a role (console-session.test.ts).
    if (route.url === `${PREFIX}/session` || route.url.startsWith(`${PREFIX}/session/`)) return;
    for (const m of methods) if (m !== 'HEAD') routes.push(`${m} ${route.url.slice(PREFIX.length)}`);
  });
  await app.ready();

  const call = (token: string, method: string, c: Call) =>
    app.inject({
      method: method as 'GET',
      url: `${PREFIX}${c.url}`,
      ...(c.payload === undefined ? {} : { payload: c.payload }),
      headers: { authorization: `Bearer ${token}`, ...c.headers },
    });
  const created = async <T>(method: string, c: Call): Promise<T> => {
    const res = await call(init.adminToken, method, c);
    if (res.statusCode >= 300) throw new Error(`${method} ${c.url as string}: ${res.statusCode} ${res.body}`);
    return res.json() as T;
  };

  const vaultId = (await created<{ id: string }>('POST', json('/vaults', { name: 'fixture' }))).id;
  const itemId = (await created<{ id: string }>('POST', json(`/vaults/${vaultId}/items`, itemBody))).id;
  const fileId = (
    await created<{ id: string }>('POST', octets(`/vaults/${vaultId}/items/${itemId}/files?name=a.txt`))
  ).id;
  const userId = (await created<{ id: string }>('POST', json('/users', { email: 'fixture@example.com' }))).id;
  const serverId = (
    await created<{ id: string }>('POST', json('/servers', { name: 'fixture', vaults: [vaultId] }))
  ).id;
  const fixture: Fixture = {
    vaultId,
    itemId,
    fileId,
    userId,
    serverId,
    freshVault: async () => (await created<{ id: string }>('POST', json('/vaults', { name: 'doomed' }))).id,
  };

  return {
    app,
    services,
    storage: init.storage,
    accountId: init.accountId,
    owner: init.adminToken,
    ownerEmail: init.ownerEmail,
    ownerPassword,
    routes,
    fixture,
    call,
    created,
    async close() {
      await app.close();
      await services.refusals.close();
      await init.storage.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Checks one answer against `decide` for `principal`: 403 naming the permission (with decide's
 * very reason) when it refuses, anything but 403 (and never a 5xx) when it allows; a vault
 * listing shows the fixture vault exactly when `list` is allowed on it.
 */
export function expectDecided(
  res: LightMyRequestResponse,
  route: string,
  row: Row,
  c: Call,
  principal: Principal,
  scene: Pick<RoutesScene, 'accountId' | 'fixture'>,
): void {
  const who =
    principal.kind === 'admin_token' || principal.kind === 'user'
      ? `${principal.kind} ${principal.role}`
      : principal.kind;
  const where = `${route} as ${who}: ${res.statusCode} ${res.body.slice(0, 300)}`;
  expect(res.statusCode, where).toBeLessThan(500);
  const { accountId, fixture } = scene;
  if (row.decides === 'nothing') {
    expect(res.statusCode, where).toBe(200);
    return;
  }
  if (row.decides === 'people only') {
    expect(res.statusCode, where).toBe(principal.kind === 'user' ? 200 : 403);
    return;
  }
  if (row.decides === 'filters vaults') {
    expect(res.statusCode, where).toBe(200);
    const listed = (res.json() as { id: string }[]).some((v) => v.id === fixture.vaultId);
    expect(listed, where).toBe(decide(principal, 'list', { id: fixture.vaultId, accountId }).allow);
    return;
  }
  const decision =
    'account' in row.decides
      ? decide(principal, row.decides.account, { accountId })
      : decide(principal, row.decides.vault, { id: c.vault ?? fixture.vaultId, accountId });
  if (decision.allow) {
    expect(res.statusCode, where).not.toBe(403);
    return;
  }
  if (row.ownForPeople && principal.kind === 'user') {
    // Refused the account's records, a person is answered about their own: never a 403.
    expect(res.statusCode, where).not.toBe(403);
    if (res.statusCode === 200) {
      const owners = (res.json() as { userId: string }[]).map((g) => g.userId);
      expect(new Set(owners), where).toEqual(new Set([principal.userId]));
    }
    return;
  }
  const permission = 'account' in row.decides ? row.decides.account : row.decides.vault;
  expect(res.statusCode, where).toBe(403);
  expect(res.json(), where).toEqual({ status: 403, code: 'forbidden', message: decision.reason });
  expect(decision.reason, where).toContain(`${permission} permission`);
}
