import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { adminSetup, connectAppFor, type InjectableConnect } from '../helpers/connect-app.js';

/** `PATCH /api/admin/vaults/{id}`: a vault renamed, as the admin API, the audit trail and Connect see it. */
let t: TestApp;
let setup: ReturnType<typeof adminSetup>;
let connect: InjectableConnect;
let vault: string;
let token: string;

beforeAll(async () => {
  t = await startTestApp();
  setup = adminSetup(t);
  vault = (await setup.vault('Old name')).id;
  const server = (await setup.server([vault])).id;
  token = (await setup.token(server, [{ vaultId: vault, permissions: ['read'] }])).token;
  connect = await connectAppFor(t, server);
});
afterAll(async () => {
  await connect.close();
  await t.close();
});

describe('renaming a vault', () => {
  it('changes the name, keeps the description, bumps attributeVersion and shows over Connect', async () => {
    await setup.api.patch(`/vaults/${vault}`, { description: 'what it holds' });
    const res = await setup.api.patch(`/vaults/${vault}`, { name: 'New name' });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({
      id: vault,
      name: 'New name',
      description: 'what it holds',
      attributeVersion: 3,
    });
    const seen = await connect.inject({
      method: 'GET',
      url: `/v1/vaults/${vault}`,
      headers: { authorization: `Bearer ${token}` },
    });
    expect(seen.json()).toMatchObject({ name: 'New name', attributeVersion: 3 });
    const audit = (await setup.api.get('/audit?action=UPDATE&resourceType=VAULT')).json() as {
      vaultId?: string;
    }[];
    expect(audit.filter((e) => e.vaultId === vault)).toHaveLength(2);
  });

  it('refuses an empty change, a bad name and an unknown vault', async () => {
    expect((await setup.api.patch(`/vaults/${vault}`, {})).statusCode).toBe(400);
    expect((await setup.api.patch(`/vaults/${vault}`, { name: '' })).statusCode).toBe(400);
    expect((await setup.api.patch(`/vaults/${'z'.repeat(26)}`, { name: 'x' })).statusCode).toBe(404);
  });
});
