import { generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { adminSetup, connectAppFor, type InjectableConnect } from '../helpers/connect-app.js';

/**
 * Each Connect token's last use in `GET /api/admin/servers/{id}/tokens` (`lastUsedAt`): the time
 * of its newest audit event that it was let through for, read from the trail in one query. A
 * refusal never counts, not even one naming the token's jti in a forged JWT.
 */
let t: TestApp;
let setup: ReturnType<typeof adminSetup>;
let connect: InjectableConnect;
let vault: string;
let serverId: string;

type Listed = { id: string; lastUsedAt: string | null };

const read = (token: string, url = `/v1/vaults/${vault}/items`) =>
  connect.inject({ method: 'GET', url, headers: { authorization: `Bearer ${token}` } });

async function lastUsed(): Promise<Map<string, string | null>> {
  const res = await setup.api.get(`/servers/${serverId}/tokens`);
  expect(res.statusCode).toBe(200);
  return new Map((res.json() as Listed[]).map((x) => [x.id, x.lastUsedAt]));
}

beforeAll(async () => {
  t = await startTestApp();
  setup = adminSetup(t);
  vault = (await setup.vault('Production')).id;
  serverId = (await setup.server([vault])).id;
  connect = await connectAppFor(t, serverId);
});
afterAll(async () => {
  await connect.close();
  await t.close();
});

describe('a Connect token’s last use', () => {
  it('is null when created and until the token is used; then the time of its newest call', async () => {
    const created = await setup.api.post(`/servers/${serverId}/tokens`, {
      name: 'used',
      vaults: [{ vaultId: vault, permissions: ['read'] }],
    });
    expect(created.statusCode).toBe(201);
    expect(created.json()).toMatchObject({ lastUsedAt: null });
    const used = created.json() as { id: string; token: string };
    const idle = await setup.token(serverId, [{ vaultId: vault, permissions: ['read'] }]);
    expect(await lastUsed()).toEqual(
      new Map([
        [used.id, null],
        [idle.id, null],
      ]),
    );

    const before = new Date().toISOString();
    expect((await read(used.token)).statusCode).toBe(200);
    const first = (await lastUsed()).get(used.id) ?? '';
    expect(first >= before).toBe(true);
    expect((await lastUsed()).get(idle.id)).toBeNull();

    await new Promise((resolve) => setTimeout(resolve, 5));
    expect((await read(used.token)).statusCode).toBe(200);
    const second = (await lastUsed()).get(used.id) ?? '';
    expect(second > first).toBe(true);
  });

  it('counts a permitted write that failed, but no refusal: a revoked token, or a forged JWT naming its jti', async () => {
    const writer = await setup.token(serverId, [{ vaultId: vault, permissions: ['read', 'write'] }]);
    // A permitted write that was not done (an invalid body): a FAILURE event of the token.
    const failed = await connect.inject({
      method: 'PUT',
      url: `/v1/vaults/${vault}/items/00000000000000000000000000`,
      headers: { authorization: `Bearer ${writer.token}`, 'content-type': 'application/json' },
      payload: JSON.stringify({ title: 'x', category: 'LOGIN', vault: { id: vault } }),
    });
    expect(failed.statusCode).toBeGreaterThanOrEqual(400);
    const events = await setup.api.get(`/audit?actor=${writer.id}&limit=10`);
    const results = (events.json() as { events?: { result: string }[] }).events ?? events.json();
    expect((results as { result: string }[]).map((e) => e.result)).toContain('FAILURE');
    expect((await lastUsed()).get(writer.id)).not.toBeNull();

    const revoked = await setup.token(serverId, [{ vaultId: vault, permissions: ['read'] }]);
    expect((await setup.api.delete(`/tokens/${revoked.id}`)).statusCode).toBe(204);
    expect((await read(revoked.token)).statusCode).toBe(401);

    const idle = await setup.token(serverId, [{ vaultId: vault, permissions: ['read'] }]);
    const { privateKey } = await generateKeyPair('ES256');
    const forged = await new SignJWT({ '1password.com/auuid': t.accountId })
      .setProtectedHeader({ alg: 'ES256', kid: 'made-up', typ: 'JWT' })
      .setJti(idle.id)
      .setSubject(serverId)
      .setAudience([serverId])
      .setIssuedAt()
      .sign(privateKey);
    expect((await read(forged)).statusCode).toBe(401);

    // Both refusals are in the trail, naming the tokens; neither counts as a use.
    const denied = await setup.api.get('/audit?result=DENY&limit=100');
    const deniedActors = (
      ((denied.json() as { events?: unknown[] }).events ?? denied.json()) as { actorId: string }[]
    ).map((e) => e.actorId);
    expect(deniedActors).toEqual(expect.arrayContaining([revoked.id, idle.id]));
    const uses = await lastUsed();
    expect(uses.get(revoked.id)).toBeNull();
    expect(uses.get(idle.id)).toBeNull();
  });

  it('is the token’s own: another token of the account, or of another server, does not lend it one', async () => {
    const otherServer = (await setup.server([vault], 'other')).id;
    const elsewhere = await setup.token(otherServer, [{ vaultId: vault, permissions: ['read'] }]);
    const otherConnect = await connectAppFor(t, otherServer);
    try {
      const res = await otherConnect.inject({
        method: 'GET',
        url: `/v1/vaults/${vault}/items`,
        headers: { authorization: `Bearer ${elsewhere.token}` },
      });
      expect(res.statusCode).toBe(200);
    } finally {
      await otherConnect.close();
    }
    const listed = (await setup.api.get(`/servers/${otherServer}/tokens`)).json() as Listed[];
    expect(listed.map((x) => x.id)).toEqual([elsewhere.id]);
    expect(listed[0]?.lastUsedAt).not.toBeNull();
    expect([...(await lastUsed()).keys()]).not.toContain(elsewhere.id);
  });

  it('is read for a dozen tokens at once, each its own', async () => {
    const many = await Promise.all(
      Array.from({ length: 12 }, () => setup.token(serverId, [{ vaultId: vault, permissions: ['read'] }])),
    );
    const picked = many.filter((_, i) => i % 3 === 0);
    for (const m of picked) expect((await read(m.token)).statusCode).toBe(200);
    const uses = await lastUsed();
    for (const m of many) expect(uses.get(m.id) !== null, m.id).toBe(picked.includes(m));
  });
});
