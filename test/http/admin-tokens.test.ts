import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashSecret } from '../../src/crypto/secrets.js';
import { client, startTestApp, type TestApp } from '../helpers/app.js';

/** Admin tokens with a lifecycle: roles, expiry, revocation, and what a token may make. */

let t: TestApp;
let owner: ReturnType<typeof client>;

interface Made {
  id: string;
  token: string;
  role: string;
  status: string;
  expiresAt: string | null;
  revokedAt: string | null;
  createdBy: string | null;
}

const make = async (body: Record<string, unknown>, as = owner): Promise<Made> => {
  const res = await as.post('/admin-tokens', body);
  if (res.statusCode !== 201) throw new Error(`${res.statusCode} ${res.body}`);
  return res.json() as Made;
};

beforeAll(async () => {
  t = await startTestApp();
  owner = client(t.app, t.token);
});
afterAll(async () => {
  await t.close();
});

describe('admin tokens', () => {
  it('are made with a role (admin when left out), shown once, and listed without a secret', async () => {
    const made = await make({ name: 'ci' });
    expect(made).toMatchObject({ role: 'admin', status: 'active', expiresAt: null, revokedAt: null });
    expect(made.token).toMatch(/^khadm_[A-Za-z0-9_-]{43}$/);
    const whoami = (await client(t.app, t.token).get('/whoami')).json() as { tokenId: string };
    expect(made.createdBy).toBe(whoami.tokenId);
    const list = await owner.get('/admin-tokens');
    expect(list.statusCode).toBe(200);
    expect(list.body).not.toContain(made.token);
    expect(list.body).not.toContain('tokenHash');
    const names = (list.json() as { name: string; role: string }[]).map((x) => `${x.name}:${x.role}`);
    expect(names).toEqual(expect.arrayContaining(['bootstrap owner token:owner', 'ci:admin']));
    expect((await client(t.app, made.token).get('/whoami')).json()).toMatchObject({
      role: 'admin',
      operator: true,
    });
  });

  it('refuses bad input with the field named', async () => {
    for (const [body, field] of [
      [{ name: 'x', role: 'member' }, 'role'],
      [{ name: 'x', role: 'root' }, 'role'],
      [{ name: '' }, 'name'],
      [{ name: 'x', expiresIn: 59 }, 'expiresIn'],
      [{ name: 'x', expiresIn: 1.5 }, 'expiresIn'],
      [{ name: 'x', expiresIn: '90d' }, 'expiresIn'],
      [{ name: 'x', operator: true }, 'operator'],
    ] as const) {
      const res = await owner.post('/admin-tokens', body);
      expect(res.statusCode, res.body).toBe(400);
      expect(res.json()).toMatchObject({ code: 'invalid_input', message: expect.stringContaining(field) });
    }
    const bad = await owner.delete('/admin-tokens/not-an-id');
    expect(bad.statusCode).toBe(400);
    const missing = await owner.delete('/admin-tokens/zzzzzzzzzzzzzzzzzzzzzzzzzz');
    expect(missing.statusCode).toBe(404);
  });

  it('a revoked token answers 401 "revoked" at its very next request; a guess is only invalid', async () => {
    const made = await make({ name: 'soon revoked', role: 'auditor' });
    const as = client(t.app, made.token);
    expect((await as.get('/audit')).statusCode).toBe(200);
    expect((await owner.delete(`/admin-tokens/${made.id}`)).statusCode).toBe(204);
    const refused = await as.get('/audit');
    expect(refused.statusCode).toBe(401);
    expect(refused.json()).toEqual({
      status: 401,
      code: 'unauthorized',
      message: expect.stringMatching(/^admin token was revoked at \d{4}-/),
    });
    // The same shape with one character changed: nothing about any token is revealed.
    const last = made.token.at(-1) === 'A' ? 'B' : 'A';
    const guess = await client(t.app, `${made.token.slice(0, -1)}${last}`).get('/audit');
    expect(guess.json()).toMatchObject({ status: 401, message: 'Invalid admin token' });
    // Kept and listed as revoked; revoking again is no error and writes no second event.
    const listed = (await owner.get('/admin-tokens')).json() as Made[];
    expect(listed.find((x) => x.id === made.id)).toMatchObject({ status: 'revoked' });
    expect((await owner.delete(`/admin-tokens/${made.id}`)).statusCode).toBe(204);
    const events = (await owner.get('/audit?limit=1000')).json() as { resourceId: string; action: string }[];
    expect(events.filter((e) => e.resourceId === made.id && e.action === 'DELETE')).toHaveLength(1);
  });

  it('an expired token answers 401 saying when it expired', async () => {
    const made = await make({ name: 'short', role: 'auditor', expiresIn: 60 });
    expect(made.expiresAt).not.toBeNull();
    // Tampered storage stands in for the passing of time: the row now says it expired.
    const past = '2020-01-01T00:00:00.000Z';
    const db = (await import('better-sqlite3')).default;
    const raw = new db(`${t.dir}/keyhold.db`);
    raw
      .prepare('update admin_tokens set expires_at = ? where token_hash = ?')
      .run(past, hashSecret(made.token));
    raw.close();
    const refused = await client(t.app, made.token).get('/audit');
    expect(refused.statusCode).toBe(401);
    expect(refused.json()).toMatchObject({ message: `admin token expired at ${past}` });
    const listed = (await owner.get('/admin-tokens')).json() as Made[];
    expect(listed.find((x) => x.id === made.id)).toMatchObject({ status: 'expired', expiresAt: past });
  });

  it('a token whose stored role was altered to no known role is refused everything, never a 500', async () => {
    const made = await make({ name: 'altered', role: 'auditor' });
    const db = (await import('better-sqlite3')).default;
    const raw = new db(`${t.dir}/keyhold.db`);
    raw.prepare('update admin_tokens set role = ? where token_hash = ?').run('root', hashSecret(made.token));
    raw.close();
    const altered = client(t.app, made.token);
    const audit = await altered.get('/audit');
    expect(audit.statusCode).toBe(403);
    expect(audit.json()).toMatchObject({
      code: 'forbidden',
      message: 'role root is not a role: it has no permission',
    });
    expect((await altered.get('/vaults')).json()).toEqual([]);
    // An owner still sees it, and may revoke it (it covers no role it does not know).
    const listed = (await owner.get('/admin-tokens')).json() as Made[];
    expect(listed.find((x) => x.id === made.id)).toMatchObject({ role: 'root' });
    expect((await owner.delete(`/admin-tokens/${made.id}`)).statusCode).toBe(204);
  });

  it('a token cannot make a token with more power than its own, nor revoke one', async () => {
    const admin = client(t.app, (await make({ name: 'an admin', role: 'admin' })).token);
    const refused = await admin.post('/admin-tokens', { name: 'escalate', role: 'owner' });
    expect(refused.statusCode).toBe(403);
    expect(refused.json()).toEqual({
      status: 403,
      code: 'forbidden',
      message: 'role admin cannot act on a holder of role owner (admin-tokens:write)',
    });
    // Nor revoke an owner's token, while it may revoke an auditor's.
    const bootstrapId = ((await owner.get('/admin-tokens')).json() as { id: string; name: string }[]).find(
      (x) => x.name === 'bootstrap owner token',
    )?.id;
    expect((await admin.delete(`/admin-tokens/${bootstrapId}`)).statusCode).toBe(403);
    const auditor = await make({ name: 'an auditor', role: 'auditor' }, admin);
    expect((await admin.delete(`/admin-tokens/${auditor.id}`)).statusCode).toBe(204);
    // An auditor makes none at all, and a connect-manager none either.
    const auditorToken = client(t.app, (await make({ name: 'auditor 2', role: 'auditor' })).token);
    const byAuditor = await auditorToken.post('/admin-tokens', { name: 'x', role: 'auditor' });
    expect(byAuditor.json()).toMatchObject({
      status: 403,
      message: 'role auditor does not have the admin-tokens:write permission',
    });
  });

  it('a token cannot make one that outlives it', async () => {
    const expiring = client(t.app, (await make({ name: 'a day', role: 'owner', expiresIn: 86_400 })).token);
    const forever = await expiring.post('/admin-tokens', { name: 'forever', role: 'auditor' });
    expect(forever.statusCode).toBe(403);
    expect(forever.json().message).toMatch(
      /^a token cannot make a token that outlives it: this one expires at /,
    );
    const longer = await expiring.post('/admin-tokens', {
      name: 'longer',
      role: 'auditor',
      expiresIn: 2 * 86_400,
    });
    expect(longer.statusCode).toBe(403);
    const shorter = await expiring.post('/admin-tokens', {
      name: 'shorter',
      role: 'auditor',
      expiresIn: 3600,
    });
    expect(shorter.statusCode).toBe(201);
  });

  it('an expiring owner token cannot found an account, whose first owner token never expires', async () => {
    const expiring = client(t.app, (await make({ name: 'an hour', role: 'owner', expiresIn: 3600 })).token);
    const founded = await expiring.post('/accounts', { name: 'outliving' });
    expect(founded.statusCode, founded.body).toBe(403);
    expect(founded.json().message).toMatch(
      /^a token cannot make a token that outlives it: this one expires at /,
    );
    expect(founded.body).not.toContain('khadm_');
    const accounts = (await owner.get('/accounts')).json() as { name: string }[];
    expect(accounts.map((a) => a.name)).not.toContain('outliving');
  });

  it('records every refusal in the audit trail', async () => {
    const events = (await owner.get('/audit?limit=1000')).json() as {
      resourceType: string;
      action: string;
      result: string;
    }[];
    expect(
      events.filter((e) => e.resourceType === 'TOKEN' && e.result === 'DENY').length,
    ).toBeGreaterThanOrEqual(4);
  });

  it('parallel creates each make one token; parallel revokes of one token revoke it once', async () => {
    const made = await Promise.all(
      Array.from({ length: 20 }, (_, i) => make({ name: `p${i}`, role: 'auditor' })),
    );
    expect(new Set(made.map((m) => m.id)).size).toBe(20);
    const target = made[0] as Made;
    const answers = await Promise.all(
      Array.from({ length: 10 }, () => owner.delete(`/admin-tokens/${target.id}`)),
    );
    expect(answers.map((a) => a.statusCode)).toEqual(Array(10).fill(204));
    const events = (await owner.get('/audit?limit=1000')).json() as { resourceId: string; action: string }[];
    expect(events.filter((e) => e.resourceId === target.id && e.action === 'DELETE')).toHaveLength(1);
    // Every other one still works.
    for (const m of made.slice(1, 4))
      expect((await client(t.app, m.token).get('/audit')).statusCode).toBe(200);
  });

  it('the bootstrap token is an ordinary owner token: it can be revoked, and then answers 401', async () => {
    const next = await make({ name: 'next owner', role: 'owner' });
    const nextClient = client(t.app, next.token);
    const bootstrapId = (
      (await nextClient.get('/admin-tokens')).json() as { id: string; name: string }[]
    ).find((x) => x.name === 'bootstrap owner token')?.id;
    expect((await nextClient.delete(`/admin-tokens/${bootstrapId}`)).statusCode).toBe(204);
    const refused = await owner.get('/whoami');
    expect(refused.statusCode).toBe(401);
    expect(refused.json().message).toMatch(/^admin token was revoked at /);
    // The next owner of the operator account still manages accounts.
    expect((await nextClient.get('/accounts')).statusCode).toBe(200);
    owner = nextClient;
  });
});
