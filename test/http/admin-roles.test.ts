import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Principal } from '../../src/domain/access/principal.js';
import { ADMIN_TOKEN_ROLES, type AdminTokenRole } from '../../src/domain/access/roles.js';
import { expectDecided, json, ROUTES, type RoutesScene, startRoutesScene } from '../helpers/admin-routes.js';

/**
 * Every admin API route, called with an admin token of every role: each answer must be what
 * `decide` says for the action the route stands for — 403 naming the permission when it refuses,
 * anything else when it allows. A route that decides on its own, or forgets to ask, fails here;
 * and the routes are read from Fastify itself, so a new route without a row fails too. The rows
 * are in test/helpers/admin-routes.ts; admin-roles-people.test.ts calls them as signed-in people.
 */

let s: RoutesScene;
const tokens = new Map<AdminTokenRole, string>();

beforeAll(async () => {
  s = await startRoutesScene();
  tokens.set('owner', s.owner);
  for (const role of ADMIN_TOKEN_ROLES.filter((r) => r !== 'owner'))
    tokens.set(
      role,
      (await s.created<{ token: string }>('POST', json('/admin-tokens', { name: role, role }))).token,
    );
});

afterAll(async () => {
  await s?.close();
});

/** What the table says for a token of `role` in the operator account (the one `init` made). */
const principalOf = (role: AdminTokenRole): Principal => ({
  kind: 'admin_token',
  accountId: s.accountId,
  tokenId: 't',
  role,
  operator: true,
});

describe('every admin route answers each role as decide says', () => {
  it('has a row for every admin route, and no row for a route that is gone', () => {
    expect(s.routes.length).toBeGreaterThan(40);
    expect([...new Set(s.routes)].sort()).toEqual(Object.keys(ROUTES).sort());
  });

  let n = 0;
  it.each(Object.entries(ROUTES))('%s', async (route, row) => {
    const [method = ''] = route.split(' ');
    for (const role of ADMIN_TOKEN_ROLES) {
      const c = await row.call(s.fixture, n++);
      const res = await s.call(tokens.get(role) as string, method, c);
      expectDecided(res, route, row, c, principalOf(role), s);
    }
  });
});

describe('Connect servers and the vaults they reach', () => {
  it('a connect-manager gives no server a vault, yet issues tokens for the vaults an owner gave one', async () => {
    const token = tokens.get('connect-manager') as string;
    const attach = await s.call(
      token,
      'POST',
      json('/servers', { name: 'reach', vaults: [s.fixture.vaultId] }),
    );
    expect(attach.statusCode).toBe(403);
    expect(attach.json().message).toBe('role connect-manager does not have the manage permission on vaults');
    const add = await s.call(
      token,
      'PATCH',
      json(`/servers/${s.fixture.serverId}`, { addVaults: [s.fixture.vaultId] }),
    );
    expect(add.statusCode).toBe(403);
    const issued = await s.call(
      token,
      'POST',
      json(`/servers/${s.fixture.serverId}/tokens`, {
        name: 'app',
        vaults: [{ vaultId: s.fixture.vaultId, permissions: ['read'] }],
      }),
    );
    expect(issued.statusCode, issued.body).toBe(201);
    // Taking a vault away needs no power over the vault.
    const remove = await s.call(
      token,
      'PATCH',
      json(`/servers/${s.fixture.serverId}`, { removeVaults: [s.fixture.vaultId] }),
    );
    expect(remove.statusCode, remove.body).toBe(200);
  });
});
