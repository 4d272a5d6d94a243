import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type OAuthFixture, startOAuthFixture } from '../helpers/oauth.js';

/**
 * A person's display name over real HTTP: given at creation and changed or removed by the admin
 * API (`PUT /users/{id}/name`) under the role rules of a role change, changed by the signed-in
 * person themselves (`PUT /session/name`, the console's account page), refused with a 400 that
 * says what is wrong, and audited as an UPDATE of the user that never carries the name.
 */
let f: OAuthFixture;
let ownerId: string;
const PASSWORD = 'a long enough password';

interface User {
  id: string;
  email: string;
  name: string | null;
  role: string;
}
interface Answer {
  status: number;
  body: Record<string, unknown>;
}

beforeAll(async () => {
  f = await startOAuthFixture();
  const users = await f.admin<User[]>('GET', '/users');
  ownerId = users.find((u) => u.email === f.ownerEmail)?.id ?? '';
}, 60_000);

afterAll(async () => {
  await f?.close();
});

/** The admin API with a bearer token (or none), answering status and parsed body. */
async function call(
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = { authorization: `Bearer ${f.adminToken}` },
): Promise<Answer> {
  const response = await fetch(`${f.url}/api/admin${path}`, {
    method,
    headers: { ...headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, body: text === '' ? {} : JSON.parse(text) };
}

/** A token of `role`, as an owner makes one. */
async function tokenOf(role: string): Promise<Record<string, string>> {
  const made = await f.admin<{ token: string }>('POST', '/admin-tokens', { name: `${role} token`, role });
  return { authorization: `Bearer ${made.token}` };
}

/** A console session of a new person of `role`: its cookie and CSRF token as headers. */
async function consoleOf(role: string): Promise<{ id: string; headers: Record<string, string> }> {
  const email = `${role}-${Date.now()}@example.com`;
  const user = await f.admin<User>('POST', '/users', { email, role, password: PASSWORD });
  const signIn = await fetch(`${f.url}/api/admin/session`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password: PASSWORD }),
  });
  expect(signIn.status).toBe(200);
  const cookie = (signIn.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
  const { csrfToken } = (await signIn.json()) as { csrfToken: string };
  return { id: user.id, headers: { cookie, 'x-csrf-token': csrfToken } };
}

describe('the admin API', () => {
  it('creates a user with a name, trimmed and in NFC, and shows it wherever the user is shown', async () => {
    const created = await call('POST', '/users', {
      email: 'ada@example.com',
      name: '  Ada Love\u0301lace ',
      password: PASSWORD,
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ email: 'ada@example.com', name: 'Ada Lovélace', role: 'member' });
    const id = created.body.id as string;
    expect((await call('GET', `/users/${id}`)).body.name).toBe('Ada Lovélace');
    const listed = (await call('GET', '/users')).body as unknown as User[];
    expect(listed.find((u) => u.id === id)?.name).toBe('Ada Lovélace');
    // Without one, the user has none: null, never an empty string.
    const plain = await call('POST', '/users', { email: 'bob@example.com', password: PASSWORD });
    expect(plain.body.name).toBeNull();
    expect((await call('POST', '/users', { email: 'cy@example.com', name: null })).body.name).toBeNull();
  });

  it('changes and removes a name, each an audited UPDATE of the user that does not hold the name', async () => {
    const { id } = await f.admin<User>('POST', '/users', { email: 'dee@example.com', name: 'Dee' });
    const renamed = await call('PUT', `/users/${id}/name`, { name: 'Dee Dee Ramone' });
    expect(renamed).toMatchObject({ status: 200, body: { id, name: 'Dee Dee Ramone' } });
    const cleared = await call('PUT', `/users/${id}/name`, { name: null });
    expect(cleared).toMatchObject({ status: 200, body: { id, name: null } });
    expect((await call('GET', `/users/${id}`)).body.name).toBeNull();
    const trail = await call('GET', `/audit?resource=${id}&action=UPDATE`);
    const events = trail.body as unknown as Record<string, unknown>[];
    expect(events.map((e) => [e.action, e.resourceType, e.result])).toEqual([
      ['UPDATE', 'USER', 'SUCCESS'],
      ['UPDATE', 'USER', 'SUCCESS'],
    ]);
    expect(JSON.stringify(trail.body)).not.toContain('Ramone');
    // The same name again changes nothing, and records nothing.
    await call('PUT', `/users/${id}/name`, { name: null });
    const after = (await call('GET', `/audit?resource=${id}&action=UPDATE`)).body as unknown as unknown[];
    expect(after).toHaveLength(2);
  });

  it.each([
    [{ name: '' }, 'body: name: must not be empty'],
    [{ name: '   ' }, 'body: name: must not be empty'],
    [{ name: 'x'.repeat(201) }, 'body: name: must be at most 200 characters'],
    [{ name: 'Eve\u001b[2J' }, 'body: name: must not contain control characters'],
    [{ name: 'Eve\nAdmin' }, 'body: name: must not contain control characters'],
    [{ name: 'Eve \u202enimdA' }, 'body: name: must not contain bidirectional control characters'],
  ])('refuses %j with a 400 that says why', async (body, message) => {
    const { id } = await f.admin<User>('POST', '/users', { email: `bad-${Date.now()}@example.com` });
    expect(await call('PUT', `/users/${id}/name`, body)).toEqual({
      status: 400,
      body: { status: 400, code: 'invalid_input', message },
    });
    // At creation too, and nobody is created.
    const email = `bad-create-${Date.now()}@example.com`;
    expect((await call('POST', '/users', { email, ...body })).body.message).toBe(message);
    expect((await call('GET', `/users?email=${email}`)).status).toBe(404);
  });

  it('refuses a body that is not a name, naming what is wrong', async () => {
    const { id } = await f.admin<User>('POST', '/users', { email: 'fay@example.com' });
    const notString = await call('PUT', `/users/${id}/name`, { name: 42 });
    expect(notString.status).toBe(400);
    expect(notString.body.message).toMatch(/^body: name: /);
    const missing = await call('PUT', `/users/${id}/name`, {});
    expect(missing.status).toBe(400);
    expect(missing.body.message).toMatch(/^body: name: /);
    const extra = await call('PUT', `/users/${id}/name`, { name: 'Fay', nickname: 'F' });
    expect(extra.status).toBe(400);
    expect(extra.body.message).toMatch(/nickname/);
    expect((await call('PUT', `/users/zzzzzzzzzzzzzzzzzzzzzzzzzz/name`, { name: 'X' })).status).toBe(404);
  });

  it('follows the role rules of a role change: 403 for who may not edit the user, audited as DENY', async () => {
    const admin = await tokenOf('admin');
    const auditor = await tokenOf('auditor');
    const { id } = await f.admin<User>('POST', '/users', { email: 'gus@example.com' });
    // An admin renames a member, never an owner.
    expect((await call('PUT', `/users/${id}/name`, { name: 'Gus' }, admin)).body.name).toBe('Gus');
    expect(await call('PUT', `/users/${ownerId}/name`, { name: 'Not the owner' }, admin)).toEqual({
      status: 403,
      body: {
        status: 403,
        code: 'forbidden',
        message: 'role admin cannot act on a holder of role owner (users:write)',
      },
    });
    expect(await call('PUT', `/users/${id}/name`, { name: 'Gus' }, auditor)).toEqual({
      status: 403,
      body: {
        status: 403,
        code: 'forbidden',
        message: 'role auditor does not have the users:write permission',
      },
    });
    // An admin cannot give a name to an owner at creation either: creating an owner is refused.
    const ownerMade = await call(
      'POST',
      '/users',
      { email: 'ivy@example.com', role: 'owner', name: 'Ivy' },
      admin,
    );
    expect(ownerMade.status).toBe(403);
    expect((await call('GET', `/users/${ownerId}`)).body.name).toBeNull();
    const denied = await call('GET', `/audit?resource=${ownerId}&result=DENY`);
    expect((denied.body as unknown as Record<string, unknown>[])[0]).toMatchObject({
      action: 'UPDATE',
      resourceType: 'USER',
      result: 'DENY',
    });
  });

  it('lets a signed-in member rename themselves, but nobody else', async () => {
    const member = await consoleOf('member');
    const own = await call('PUT', `/users/${member.id}/name`, { name: 'Mo' }, member.headers);
    expect(own).toMatchObject({ status: 200, body: { id: member.id, name: 'Mo' } });
    const other = await call('PUT', `/users/${ownerId}/name`, { name: 'Mo’s owner' }, member.headers);
    expect(other).toEqual({
      status: 403,
      body: {
        status: 403,
        code: 'forbidden',
        message: 'role member does not have the users:write permission',
      },
    });
  });
});

describe('the signed-in person’s own name (PUT /session/name)', () => {
  it('sets and removes it, answering the session with it; GET /session shows it', async () => {
    const person = await consoleOf('auditor');
    const set = await call('PUT', '/session/name', { name: ' Quinn  Auditor ' }, person.headers);
    expect(set.status).toBe(200);
    expect(set.body.user).toEqual({
      id: person.id,
      email: expect.stringMatching(/^auditor-/),
      name: 'Quinn  Auditor',
      role: 'auditor',
    });
    expect(((await call('GET', '/session', undefined, person.headers)).body.user as User).name).toBe(
      'Quinn  Auditor',
    );
    expect((await f.admin<User>('GET', `/users/${person.id}`)).name).toBe('Quinn  Auditor');
    expect((await call('GET', '/whoami', undefined, person.headers)).body.user).toEqual({
      id: person.id,
      email: expect.stringMatching(/^auditor-/),
      name: 'Quinn  Auditor',
    });
    const cleared = await call('PUT', '/session/name', { name: null }, person.headers);
    expect((cleared.body.user as User).name).toBeNull();
    const trail = await f.admin<Record<string, unknown>[]>(
      'GET',
      `/audit?resource=${person.id}&action=UPDATE`,
    );
    expect(trail.map((e) => [e.actorId, e.resourceType, e.result])).toEqual([
      [person.id, 'USER', 'SUCCESS'],
      [person.id, 'USER', 'SUCCESS'],
    ]);
  });

  it('refuses a bad name (400), no CSRF token (403) and no session (401), changing nothing', async () => {
    const person = await consoleOf('member');
    await call('PUT', '/session/name', { name: 'Kept' }, person.headers);
    expect(await call('PUT', '/session/name', { name: 'x'.repeat(201) }, person.headers)).toEqual({
      status: 400,
      body: { status: 400, code: 'invalid_input', message: 'body: name: must be at most 200 characters' },
    });
    const { cookie } = person.headers as { cookie: string };
    expect((await call('PUT', '/session/name', { name: 'Forged' }, { cookie })).status).toBe(403);
    expect((await call('PUT', '/session/name', { name: 'Nobody' }, {})).status).toBe(401);
    // A bearer token is not a session: this route is the person's own.
    expect((await call('PUT', '/session/name', { name: 'Token' })).status).toBe(401);
    expect((await f.admin<User>('GET', `/users/${person.id}`)).name).toBe('Kept');
  });
});
