import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminTokenPrincipal, userPrincipal } from '../../src/domain/access/principals.js';
import type { RequestContext } from '../../src/domain/context.js';
import { client, startTestApp, type TestApp } from '../helpers/app.js';

/**
 * Managing users through the admin API: role changes, disable/enable, delete, vault access
 * removal and reset links, with their error bodies; the last enabled owner is never lost, also
 * when requests race; and an admin cannot touch, create or make an owner.
 */
let t: TestApp;
let admin: ReturnType<typeof client>;
let ownerId: string;
const PASSWORD = 'a password of some length';
const UNKNOWN = 'zzzzzzzzzzzzzzzzzzzzzzzzzz';

beforeAll(async () => {
  t = await startTestApp();
  admin = client(t.app, t.token);
  const users = (await admin.get('/users')).json() as { id: string; role: string }[];
  ownerId = users.find((u) => u.role === 'owner')?.id ?? '';
});
afterAll(async () => {
  await t?.close();
});

let n = 0;
async function newUser(role = 'member') {
  const response = await admin.post('/users', { email: `user${++n}@example.com`, role, password: PASSWORD });
  expect(response.statusCode).toBe(201);
  return response.json() as { id: string; email: string; role: string; enabled: boolean };
}

const enabledOwners = () => t.storage.users.countEnabledOwners(t.accountId);

describe('admin API: users', () => {
  it('changes a role, and answers 400 for a bad role and 404 for an unknown user', async () => {
    const user = await newUser();
    const changed = await admin.put(`/users/${user.id}/role`, { role: 'auditor' });
    expect(changed.statusCode).toBe(200);
    expect(changed.json()).toMatchObject({ id: user.id, role: 'auditor', enabled: true, disabledAt: null });
    expect((await admin.get(`/users/${user.id}`)).json()).toMatchObject({ role: 'auditor' });

    const bad = await admin.put(`/users/${user.id}/role`, { role: 'root' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({ status: 400, code: 'invalid_input' });
    expect(bad.json().message).toMatch(/^body: role: .*owner.*member/);
    const missing = await admin.put(`/users/${user.id}/role`, {});
    expect(missing.statusCode).toBe(400);
    expect(missing.json().code).toBe('invalid_input');

    for (const [method, url, body] of [
      ['PUT', `/users/${UNKNOWN}/role`, { role: 'admin' }],
      ['POST', `/users/${UNKNOWN}/disable`, {}],
      ['POST', `/users/${UNKNOWN}/enable`, {}],
      ['DELETE', `/users/${UNKNOWN}`, undefined],
      ['POST', `/users/${UNKNOWN}/password-reset`, {}],
    ] as const) {
      const response = await t.app.inject({
        method,
        url: `/api/admin${url}`,
        headers: { authorization: `Bearer ${t.token}` },
        ...(body === undefined ? {} : { payload: body }),
      });
      expect(response.statusCode, `${method} ${url}`).toBe(404);
      expect(response.json()).toEqual({
        status: 404,
        code: 'not_found',
        message: `user ${UNKNOWN} not found`,
      });
    }
    const malformed = await admin.post('/users/NOT-AN-ID/disable', {});
    expect(malformed.statusCode).toBe(400);
    expect(malformed.json().message).toMatch(/^path: userId: must be a 26-character id/);
  });

  it('disables and enables a user; doing it twice is no error', async () => {
    const user = await newUser();
    const disabled = await admin.post(`/users/${user.id}/disable`);
    expect(disabled.statusCode).toBe(200);
    expect(disabled.json()).toMatchObject({ id: user.id, enabled: false });
    expect(disabled.json().disabledAt).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect((await admin.post(`/users/${user.id}/disable`)).json()).toMatchObject({ enabled: false });
    expect((await admin.get('/users')).json()).toContainEqual(
      expect.objectContaining({ id: user.id, enabled: false }),
    );
    const enabled = await admin.post(`/users/${user.id}/enable`);
    expect(enabled.json()).toMatchObject({ id: user.id, enabled: true, disabledAt: null });
    expect((await admin.post(`/users/${user.id}/enable`)).statusCode).toBe(200);
  });

  it('deletes a user with their vault access; the audit trail keeps the id', async () => {
    const user = await newUser();
    const vault = (await admin.post('/vaults', { name: 'Doomed access' })).json() as { id: string };
    await admin.put(`/users/${user.id}/vaults/${vault.id}`, { permissions: ['read'] });
    const deleted = await admin.delete(`/users/${user.id}`);
    expect(deleted.statusCode).toBe(204);
    expect(deleted.body).toBe('');
    expect((await admin.get(`/users/${user.id}`)).statusCode).toBe(404);
    expect((await admin.delete(`/users/${user.id}`)).statusCode).toBe(404);
    expect(await t.storage.vaultAccess.listForVault(vault.id)).toEqual([]);
    expect(await t.storage.audit.list(t.accountId, { limit: 20 })).toContainEqual(
      expect.objectContaining({
        action: 'DELETE',
        resourceType: 'USER',
        resourceId: user.id,
        result: 'SUCCESS',
      }),
    );
  });

  it('removes a vault permission with DELETE, and says 404 when there was none', async () => {
    const user = await newUser();
    const vault = (await admin.post('/vaults', { name: 'Shared' })).json() as { id: string };
    await admin.put(`/users/${user.id}/vaults/${vault.id}`, { permissions: ['read', 'write'] });
    const removed = await admin.delete(`/users/${user.id}/vaults/${vault.id}`);
    expect(removed.statusCode).toBe(204);
    expect((await admin.get(`/users/${user.id}/vaults`)).json()).toEqual([]);
    const again = await admin.delete(`/users/${user.id}/vaults/${vault.id}`);
    expect(again.statusCode).toBe(404);
    expect(again.json()).toEqual({
      status: 404,
      code: 'not_found',
      message: `user ${user.id} has no access to vault ${vault.id}`,
    });
    const noVault = await admin.delete(`/users/${user.id}/vaults/${UNKNOWN}`);
    expect(noVault.statusCode).toBe(404);
    expect(noVault.json().message).toBe(`vault ${UNKNOWN} not found`);
  });

  it('creates a one-time reset link, shown once and stored only as a hash', async () => {
    const user = await newUser();
    const response = await admin.post(`/users/${user.id}/password-reset`);
    expect(response.statusCode).toBe(201);
    const link = response.json() as { userId: string; url: string; expiresAt: string };
    expect(link.userId).toBe(user.id);
    const url = new URL(link.url);
    expect(`${url.origin}${url.pathname}`).toBe(`http://keyhold.test/oauth/${t.accountId}/reset`);
    const secret = url.searchParams.get('token') ?? '';
    expect(secret).toMatch(/^khpr_[A-Za-z0-9_-]{43}$/);
    const lifetime = Date.parse(link.expiresAt) - Date.now();
    expect(lifetime).toBeGreaterThan(3590_000);
    expect(lifetime).toBeLessThanOrEqual(3600_000);
    // Neither the secret nor anything holding it reached the logs or the audit trail.
    expect(t.logs.join('')).not.toContain(secret);
    const audit = JSON.stringify(await t.storage.audit.list(t.accountId, { limit: 50 }));
    expect(audit).not.toContain(secret);
    expect(audit).toContain('PASSWORD_RESET');
  });
});

describe('emails', () => {
  it('refuses control characters, which `user list`, `whoami` and the audit labels would print to a terminal', async () => {
    // ESC sequences rewrite the terminal of whoever lists users (an owner, when an admin chose
    // the email): clear the screen, hide text; NUL and the C1 range are no better.
    for (const email of [
      '\u001b[2J\u001b[8mada@example.com',
      'nul\u0000@example.com',
      'c1\u009b8m@example.com',
    ]) {
      const made = await admin.post('/users', { email, role: 'member', password: PASSWORD });
      expect(made.statusCode, email).toBe(400);
      expect(made.json()).toMatchObject({ code: 'invalid_input', message: expect.stringContaining('email') });
      const found = await admin.get(`/users?email=${encodeURIComponent(email)}`);
      expect(found.statusCode).toBe(400);
    }
  });
});

describe('the last enabled owner', () => {
  it('cannot be demoted, disabled or deleted (409 last_owner), and the refusal is audited', async () => {
    expect(await enabledOwners()).toBe(1);
    const body = {
      status: 409,
      code: 'last_owner',
    };
    const demote = await admin.put(`/users/${ownerId}/role`, { role: 'admin' });
    expect(demote.statusCode).toBe(409);
    expect(demote.json()).toEqual({
      ...body,
      message:
        "cannot demote the user: this is the account's last enabled owner; make another user owner first",
    });
    const disable = await admin.post(`/users/${ownerId}/disable`);
    expect(disable.json()).toMatchObject({
      ...body,
      message: expect.stringMatching(/^cannot disable the user/),
    });
    const remove = await admin.delete(`/users/${ownerId}`);
    expect(remove.json()).toMatchObject({
      ...body,
      message: expect.stringMatching(/^cannot delete the user/),
    });
    expect((await admin.get(`/users/${ownerId}`)).json()).toMatchObject({ role: 'owner', enabled: true });
    const audit = await t.storage.audit.list(t.accountId, { limit: 5 });
    expect(audit.filter((e) => e.resourceId === ownerId && e.result === 'FAILURE')).toHaveLength(3);
  });

  it('of two parallel demotions of the last two owners, exactly one succeeds', async () => {
    for (let round = 0; round < 5; round++) {
      const second = await newUser('owner');
      expect(await enabledOwners()).toBe(2);
      const answers = await Promise.all([
        admin.put(`/users/${ownerId}/role`, { role: 'admin' }),
        admin.put(`/users/${second.id}/role`, { role: 'admin' }),
      ]);
      expect(answers.map((a) => a.statusCode).sort()).toEqual([200, 409]);
      expect(answers.find((a) => a.statusCode === 409)?.json().code).toBe('last_owner');
      expect(await enabledOwners()).toBe(1);
      // Back to one owner, the original, for the next round.
      if (answers[0]?.statusCode === 200) await admin.put(`/users/${ownerId}/role`, { role: 'owner' });
      expect((await admin.delete(`/users/${second.id}`)).statusCode).toBe(204);
      expect(await enabledOwners()).toBe(1);
    }
  });

  it('of a parallel disable and delete of the last two owners, exactly one succeeds', async () => {
    const second = await newUser('owner');
    const answers = await Promise.all([
      admin.post(`/users/${ownerId}/disable`),
      admin.delete(`/users/${second.id}`),
    ]);
    const [disabled, deleted] = answers.map((a) => a.statusCode);
    // One wins, whichever: disable 200 with delete 409, or disable 409 with delete 204.
    expect([disabled, deleted]).toContainEqual(409);
    expect([
      [200, 409],
      [409, 204],
    ]).toContainEqual([disabled, deleted]);
    expect(await enabledOwners()).toBe(1);
    if (disabled === 200) {
      await admin.post(`/users/${ownerId}/enable`);
      expect((await admin.delete(`/users/${second.id}`)).statusCode).toBe(204);
    }
  });

  it('is kept when a user made owner in parallel is disabled on a stale read while the other owner steps down', async () => {
    // The owner promotes a member, steps down (there is another owner now) and disables the
    // member, all at once. The disable read the member before the promotion committed: checked
    // against that stale row, nothing stopped it from disabling the account's last owner.
    const ctx: RequestContext = {
      actor: { type: 'admin_token', id: 'tok', accountId: t.accountId, tokenId: 'tok' },
      principal: adminTokenPrincipal(
        { id: 'tok', accountId: t.accountId, role: 'owner', expiresAt: null },
        false,
      ),
      requestId: null,
      ip: null,
      userAgent: null,
    };
    const users = t.services.users;
    const owner = (await enabledOwnerId()) ?? '';
    for (let round = 0; round < 5; round++) {
      const member = await newUser();
      const later = async <T>(ticks: number, work: () => Promise<T>) => {
        for (let i = 0; i < ticks; i++) await null;
        return work();
      };
      const answers = await Promise.allSettled([
        users.setRole(ctx, member.id, 'owner'),
        users.setRole(ctx, owner, 'admin'),
        later(round, () => users.disable(ctx, member.id)),
      ]);
      expect(await enabledOwners(), `round ${round}: ${answers.map((a) => a.status)}`).toBe(1);
      const refused = answers.filter((a) => a.status === 'rejected');
      expect(refused).toHaveLength(1);
      expect((refused[0] as PromiseRejectedResult).reason).toMatchObject({ status: 409 });
      // Back to the original owner alone.
      await users.setRole(ctx, owner, 'owner');
      await users.enable(ctx, member.id);
      expect((await admin.delete(`/users/${member.id}`)).statusCode).toBe(204);
    }
  });

  it('a disabled owner does not count: the one enabled owner is still the last', async () => {
    const second = await newUser('owner');
    expect((await admin.post(`/users/${second.id}/disable`)).statusCode).toBe(200);
    const disabledOwner = second.id;
    const ownerNow = (await t.storage.users.list(t.accountId)).find(
      (u) => u.role === 'owner' && u.disabledAt === null,
    );
    expect((await admin.put(`/users/${ownerNow?.id}/role`, { role: 'admin' })).json().code).toBe(
      'last_owner',
    );
    // A disabled owner can be deleted or demoted freely.
    expect((await admin.put(`/users/${disabledOwner}/role`, { role: 'member' })).statusCode).toBe(200);
    expect((await admin.delete(`/users/${disabledOwner}`)).statusCode).toBe(204);
  });
});

describe('an admin cannot act on owners', () => {
  /** A request context of a signed-in admin *user* (admin tokens are all owners on this branch). */
  async function asAdminUser(): Promise<RequestContext> {
    const adminUser = await newUser('admin');
    const record = await t.storage.users.get(t.accountId, adminUser.id);
    if (!record) throw new Error('no admin user');
    return {
      actor: { type: 'user', id: record.id, accountId: t.accountId, tokenId: null },
      principal: userPrincipal(record, [], false),
      requestId: null,
      ip: null,
      userAgent: null,
    };
  }

  it('answers 403 naming the permission for every write on an owner, or to make or create one', async () => {
    const ctx = await asAdminUser();
    const owner = await t.storage.users.get(t.accountId, (await enabledOwnerId()) ?? '');
    if (!owner) throw new Error('no owner');
    const member = await newUser();
    const refusals = [
      () => t.services.users.setRole(ctx, owner.id, 'member'),
      () => t.services.users.disable(ctx, owner.id),
      () => t.services.users.delete(ctx, owner.id),
      () => t.services.users.resetPassword(ctx, owner.id),
      () => t.services.users.setRole(ctx, member.id, 'owner'),
      () => t.services.users.create(ctx, { email: 'new-owner@example.com', role: 'owner' }),
    ];
    for (const refuse of refusals) {
      await expect(refuse()).rejects.toMatchObject({
        status: 403,
        code: 'forbidden',
        message: 'role admin cannot act on a holder of role owner (users:write)',
      });
    }
    // What an admin may do, it does: a member, made an auditor, then disabled.
    await expect(t.services.users.setRole(ctx, member.id, 'auditor')).resolves.toMatchObject({
      role: 'auditor',
    });
    await expect(t.services.users.disable(ctx, member.id)).resolves.toMatchObject({ enabled: false });
    expect(await t.storage.users.get(t.accountId, owner.id)).toMatchObject({
      role: 'owner',
      disabledAt: null,
    });
  });

  it('a member cannot even read users', async () => {
    const member = await newUser();
    const record = await t.storage.users.get(t.accountId, member.id);
    if (!record) throw new Error('no member');
    const ctx: RequestContext = {
      actor: { type: 'user', id: record.id, accountId: t.accountId, tokenId: null },
      principal: userPrincipal(record, [], false),
      requestId: null,
      ip: null,
      userAgent: null,
    };
    await expect(t.services.users.list(ctx)).rejects.toMatchObject({
      status: 403,
      message: 'role member does not have the users:read permission',
    });
    await expect(t.services.users.disable(ctx, UNKNOWN)).rejects.toMatchObject({
      status: 403,
      message: 'role member does not have the users:write permission',
    });
  });
});

async function enabledOwnerId() {
  return (await t.storage.users.list(t.accountId)).find((u) => u.role === 'owner' && u.disabledAt === null)
    ?.id;
}
