import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminTokenPrincipal, nobody } from '../../src/domain/access/principals.js';
import { recordAudit } from '../../src/domain/audit/audit-log.js';
import { queryAudit } from '../../src/domain/audit/audit-query.js';
import type { ActorType, RequestContext } from '../../src/domain/context.js';
import type { ActorDirectory } from '../../src/storage/ports.js';
import { client, startTestApp, type TestApp } from '../helpers/app.js';

let t: TestApp;
let api: ReturnType<typeof client>;
beforeAll(async () => {
  t = await startTestApp();
  api = client(t.app, t.token);
});
afterAll(() => t.close());

/**
 * A context as the authenticators build one for `type` (the principal does not matter to the
 * trail: only who is recorded). Events written through it go through recordAudit, like any.
 */
const as = (
  type: ActorType,
  id: string,
  tokenId: string | null = null,
  accountId = t.accountId,
): RequestContext => ({
  actor: { type, id, accountId, tokenId },
  principal: nobody(accountId),
  requestId: null,
  ip: '127.0.0.1',
  userAgent: 'audit-people-test',
});
/** A DENY of reading the account, by `ctx`'s actor: an event that names only its actor. */
const actBy = (ctx: RequestContext) =>
  recordAudit(t.storage.audit, ctx, { action: 'READ', resourceType: 'ACCOUNT', result: 'DENY' });

const created = async (url: string, body: unknown) => {
  const res = await api.post(url, body);
  expect(res.statusCode, res.body).toBe(201);
  return res.json();
};

describe('GET /api/admin/audit: who acted', () => {
  it('labels each kind of actor with its email or name, read now', async () => {
    const alice = await created('/users', { email: 'alice@example.com', role: 'member' });
    const vault = await created('/vaults', { name: 'V' });
    const server = await created('/servers', { name: 'prod', vaults: [vault.id] });
    const ctoken = await created(`/servers/${server.id}/tokens`, {
      name: 'web',
      vaults: [{ vaultId: vault.id, permissions: ['read'] }],
    });
    const app = await created('/clients', {
      name: 'Grafana',
      redirectUris: ['https://grafana.example.com/cb'],
      scopes: [],
    });
    const oauthToken = `tok${'0'.repeat(23)}`;
    await t.storage.oauthTokens.insert({
      id: oauthToken,
      tokenHash: Buffer.alloc(32, 7),
      kind: 'access',
      accountId: t.accountId,
      clientId: app.clientId,
      userId: alice.id,
      grantId: null,
      codeId: null,
      resource: 'urn:keyhold:vault-api',
      scopes: [],
      createdAt: new Date().toISOString(),
      expiresAt: new Date(Date.now() + 60_000).toISOString(),
      revokedAt: null,
      rotatedAt: null,
      jkt: null,
    });
    const connectTokenId = ctoken.id as string;
    await actBy(as('user', alice.id, 'session1'));
    await actBy(as('connect_token', connectTokenId, connectTokenId));
    await actBy(as('oauth_client', app.clientId));
    await actBy(as('oauth_token', alice.id, oauthToken));
    await actBy(as('system', 'system'));
    await actBy(as('user', 'unknown'));

    const res = await api.get('/audit?limit=7');
    expect(res.statusCode).toBe(200);
    const labels = res
      .json()
      .map((e: { actorType: string; actorLabel: string; actorKnown: boolean }) => [
        e.actorType,
        e.actorLabel,
        e.actorKnown,
      ]);
    expect(labels).toEqual([
      ['user', 'unknown user', false],
      ['system', 'system', true],
      ['oauth_token', 'alice@example.com via Grafana', true],
      ['oauth_client', 'Grafana', true],
      ['connect_token', 'web on server prod', true],
      ['user', 'alice@example.com', true],
      // The client's registration, made by the bootstrap token.
      ['admin_token', expect.any(String), true],
    ]);
    const [bootstrap] = await t.storage.adminTokens.list(t.accountId);
    expect(res.json()[6].actorLabel).toBe(`${bootstrap?.name} (${bootstrap?.role})`);
  });

  it('labels an actor that no longer exists by its id, with a note', async () => {
    const bob = await created('/users', { email: 'bob@example.com', role: 'member' });
    await actBy(as('user', bob.id));
    expect((await api.get(`/audit?actor=${bob.id}&limit=1`)).json()[0]).toMatchObject({
      actorLabel: 'bob@example.com',
      actorKnown: true,
    });
    // No route deletes a user yet: removed under the service, as a later delete would.
    await t.storage.users.delete(t.accountId, bob.id);
    const server = await created('/servers', { name: 'gone', vaults: [] });
    const vault = await created('/vaults', { name: 'W' });
    await api.patch(`/servers/${server.id}`, { addVaults: [vault.id] });
    const token = await created(`/servers/${server.id}/tokens`, {
      name: 'short-lived',
      vaults: [{ vaultId: vault.id, permissions: ['read'] }],
    });
    await actBy(as('connect_token', token.id, token.id));
    expect((await api.delete(`/servers/${server.id}`)).statusCode).toBe(204);

    const events = (await api.get('/audit?result=DENY&limit=2')).json();
    expect(
      events.map((e: { actorLabel: string; actorKnown: boolean }) => [e.actorLabel, e.actorKnown]),
    ).toEqual([
      [`${token.id} (deleted Connect token)`, false],
      [`${bob.id} (deleted user)`, false],
    ]);
  });

  it("never names another account's people, even for an id recorded in this account's trail", async () => {
    const other = await created('/accounts', { name: 'Other' });
    const theirs = client(t.app, other.adminToken);
    const eveRes = await theirs.post('/users', { email: 'eve@other.example', role: 'member' });
    const eve = eveRes.json();
    const theirToken = (await t.storage.adminTokens.list(other.id))[0];
    // Events in this account naming the other account's user and token (as tampered or
    // mis-recorded rows would): still unnamed here.
    await actBy(as('user', eve.id));
    await actBy(as('admin_token', theirToken?.id as string));
    // And the other account's own events, naming its people, never show here under any filter.
    await actBy(as('user', eve.id, null, other.id));
    const ours = (await api.get(`/audit?actor=${eve.id}`)).json();
    expect(ours).toHaveLength(1);
    expect(ours[0]).toMatchObject({ actorLabel: `${eve.id} (deleted user)`, actorKnown: false });
    expect((await api.get(`/audit?actor=${theirToken?.id}`)).json()).toMatchObject([
      { actorLabel: `${theirToken?.id} (deleted admin token)`, actorKnown: false },
    ]);
    const all = JSON.stringify((await api.get('/audit?limit=1000')).json());
    expect(all).not.toContain('eve@other.example');
    // The other account sees its own event labelled.
    const theirEvents = (await theirs.get(`/audit?actor=${eve.id}`)).json();
    expect(theirEvents.map((e: { actorLabel: string }) => e.actorLabel)).toEqual(['eve@other.example']);
  });

  it('looks each kind of actor up once per page, however many events name it', async () => {
    const ids = await Promise.all(
      Array.from(
        { length: 20 },
        async (_, n) => (await created('/users', { email: `u${n}@example.com` })).id as string,
      ),
    );
    for (const id of ids) {
      await actBy(as('user', id));
      await actBy(as('oauth_token', id, `gone${'0'.repeat(22)}`));
    }
    const calls: string[] = [];
    const counting = new Proxy(t.storage.actors, {
      get: (target, name: keyof ActorDirectory) => (accountId: string, list: readonly string[]) => {
        calls.push(name);
        return target[name](accountId, list);
      },
    });
    const ctx: RequestContext = {
      ...as('admin_token', 'x'),
      principal: adminTokenPrincipal(
        { id: 'x', accountId: t.accountId, role: 'auditor', expiresAt: null },
        false,
      ),
    };
    const events = await queryAudit({ audit: t.storage.audit, actors: counting }, ctx, { limit: 200 });
    expect(events.length).toBeGreaterThan(40);
    // The page also holds earlier tests' actors: at most one call per kind, whatever the count.
    expect(calls.length).toBeLessThanOrEqual(5);
    expect(new Set(calls).size).toBe(calls.length);
    expect(calls).toEqual(expect.arrayContaining(['users', 'oauthTokens']));
    // Their token is gone (purged): the user is still named, without a client.
    const throughGone = events.filter((e) => e.tokenId?.startsWith('gone'));
    expect(throughGone).toHaveLength(20);
    expect(throughGone.every((e) => /^u\d+@example\.com$/.test(e.actorLabel) && e.actorKnown)).toBe(true);
  });

  it('refuses a caller without audit:read with 403 naming the permission, and audits the refusal', async () => {
    const ctx: RequestContext = {
      ...as('admin_token', 'cm'),
      principal: adminTokenPrincipal(
        { id: 'cm', accountId: t.accountId, role: 'connect-manager', expiresAt: null },
        false,
      ),
    };
    await expect(queryAudit(t.storage, ctx, { limit: 10 })).rejects.toMatchObject({ status: 403 });
    await expect(queryAudit(t.storage, ctx, { limit: 10 })).rejects.toThrow(/audit:read/);
    const [last] = (await api.get('/audit?actor=cm&limit=1')).json();
    expect(last).toMatchObject({ action: 'READ', resourceType: 'ACCOUNT', result: 'DENY', actorId: 'cm' });
  });
});
