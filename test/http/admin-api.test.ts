import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { client, startTestApp, type TestApp } from '../helpers/app.js';

let t: TestApp;
let api: ReturnType<typeof client>;
beforeEach(async () => {
  t = await startTestApp();
  api = client(t.app, t.token);
});
afterEach(() => t.close());

const login = (password: string) => ({
  title: 'Database',
  category: 'LOGIN',
  fields: [
    { label: 'username', purpose: 'USERNAME', value: 'app' },
    { label: 'password', purpose: 'PASSWORD', type: 'CONCEALED', value: password },
  ],
});

async function newVault(name = 'Production') {
  const res = await api.post('/vaults', { name, description: 'prod secrets' });
  expect(res.statusCode).toBe(201);
  return res.json() as { id: string; name: string };
}

describe('authentication', () => {
  it('refuses requests without a token, with a garbage token, and with a well-formed unknown token', async () => {
    const none = await t.app.inject({ method: 'GET', url: '/api/admin/vaults' });
    expect(none.statusCode).toBe(401);
    expect(none.json()).toEqual({
      status: 401,
      code: 'unauthorized',
      message: 'Missing bearer token: send `Authorization: Bearer <admin token>`',
    });
    for (const token of ['garbage', `khadm_${'A'.repeat(43)}`]) {
      const res = await client(t.app, token).get('/vaults');
      expect(res.statusCode).toBe(401);
      expect(res.json().message).toBe('Invalid admin token');
    }
  });

  it('audits the bootstrap: the account, its owner and its signing keys (one per kind)', async () => {
    const events = (await api.get('/audit?limit=10')).json();
    const created = events.map(
      (e: { action: string; resourceType: string }) => `${e.action} ${e.resourceType}`,
    );
    expect(created).toEqual(expect.arrayContaining(['CREATE ACCOUNT', 'CREATE USER', 'CREATE SIGNING_KEY']));
    const kids = events
      .filter((e: { resourceType: string }) => e.resourceType === 'SIGNING_KEY')
      .map((e: { resourceId: string }) => e.resourceId);
    const keys = (await api.get('/keys')).json().keys as { kid: string; kind: string }[];
    expect(keys.map((k) => k.kid).sort()).toEqual(kids.sort());
    expect(keys.map((k) => k.kind).sort()).toEqual(['connect', 'oauth']);
  });

  it('tells who the token belongs to', async () => {
    const res = await api.get('/whoami');
    expect(res.json()).toMatchObject({ accountId: t.accountId, operator: true });
  });
});

describe('vaults', () => {
  it('creates, lists, reads and deletes a vault in the Connect shape', async () => {
    const created = await newVault();
    expect(created).toMatchObject({
      name: 'Production',
      description: 'prod secrets',
      attributeVersion: 1,
      contentVersion: 1,
      items: 0,
      type: 'USER_CREATED',
    });
    expect(created.id).toMatch(/^[a-z0-9]{26}$/);
    expect((created as unknown as { createdAt: string }).createdAt).toMatch(
      /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/,
    );
    expect((await api.get('/vaults')).json()).toEqual([created]);
    expect((await api.get(`/vaults/${created.id}`)).json()).toEqual(created);
    expect((await api.delete(`/vaults/${created.id}`)).statusCode).toBe(204);
    const gone = await api.get(`/vaults/${created.id}`);
    expect(gone.statusCode).toBe(404);
    expect(gone.json().message).toBe(`vault ${created.id} not found`);
  });

  it('answers a trailing slash like the bare path', async () => {
    await newVault();
    expect((await api.get('/vaults/')).json()).toHaveLength(1);
  });
});

describe('items', () => {
  it('creates an item and reads it back with generated ids, counts and versions', async () => {
    const vault = await newVault();
    const res = await api.post(`/vaults/${vault.id}/items`, login('s3cr3t-value'));
    expect(res.statusCode).toBe(201);
    const item = res.json();
    expect(item).toMatchObject({ title: 'Database', category: 'LOGIN', vault: { id: vault.id }, version: 1 });
    expect(item.fields).toEqual([
      { id: 'username', type: 'STRING', purpose: 'USERNAME', label: 'username', value: 'app' },
      { id: 'password', type: 'CONCEALED', purpose: 'PASSWORD', label: 'password', value: 's3cr3t-value' },
    ]);
    expect((await api.get(`/vaults/${vault.id}/items/${item.id}`)).json()).toEqual(item);
    const list = (await api.get(`/vaults/${vault.id}/items`)).json();
    expect(list).toHaveLength(1);
    expect(list[0]).not.toHaveProperty('fields');
    expect(list[0]).toMatchObject({ id: item.id, title: 'Database', vault: { id: vault.id } });
    const after = (await api.get(`/vaults/${vault.id}`)).json();
    expect(after).toMatchObject({ items: 1, contentVersion: 2 });
  });

  it('generates a password from a recipe and reports its entropy', async () => {
    const vault = await newVault();
    const item = (
      await api.post(`/vaults/${vault.id}/items`, {
        title: 'Generated',
        category: 'PASSWORD',
        fields: [{ purpose: 'PASSWORD', generate: true, recipe: { length: 40, characterSets: ['DIGITS'] } }],
      })
    ).json();
    const field = item.fields[0];
    expect(field.value).toMatch(/^[0-9]{40}$/);
    expect(field.entropy).toBeCloseTo(40 * Math.log2(10), 1);
  });

  it('keeps every version and refuses an update based on a stale version with 409', async () => {
    const vault = await newVault();
    const v1 = (await api.post(`/vaults/${vault.id}/items`, login('first'))).json();
    const url = `/vaults/${vault.id}/items/${v1.id}`;
    const v2 = await api.put(url, { ...login('second'), title: 'Database v2', version: 1 });
    expect(v2.statusCode).toBe(200);
    expect(v2.json()).toMatchObject({ version: 2, title: 'Database v2' });
    const stale = await api.put(url, { ...login('third'), version: 1 });
    expect(stale.statusCode).toBe(409);
    expect(stale.json()).toEqual({
      status: 409,
      code: 'version_conflict',
      message: `item ${v1.id} has changed: it is at version 2, the update was based on version 1; fetch it again and retry`,
    });
    const history = (await api.get(`${url}/versions`)).json();
    expect(history.map((h: { version: number; title: string }) => [h.version, h.title])).toEqual([
      [2, 'Database v2'],
      [1, 'Database'],
    ]);
    const old = (await api.get(`${url}/versions/1`)).json();
    expect(old.fields[1].value).toBe('first');
    expect(old.version).toBe(1);
    expect((await api.get(`${url}/versions/9`)).statusCode).toBe(404);
  });

  it('returns the current TOTP code of an OTP field', async () => {
    const vault = await newVault();
    const item = (
      await api.post(`/vaults/${vault.id}/items`, {
        title: 'With OTP',
        fields: [
          { type: 'OTP', label: 'one-time password', value: 'otpauth://totp/x?secret=JBSWY3DPEHPK3PXP' },
        ],
      })
    ).json();
    expect(item.fields[0].totp).toMatch(/^\d{6}$/);
  });

  it('deletes an item permanently, with its history', async () => {
    const vault = await newVault();
    const item = (await api.post(`/vaults/${vault.id}/items`, login('x'))).json();
    expect((await api.delete(`/vaults/${vault.id}/items/${item.id}?permanent=true`)).statusCode).toBe(204);
    expect((await api.get(`/vaults/${vault.id}/items/${item.id}`)).statusCode).toBe(404);
    expect((await api.get(`/vaults/${vault.id}/items/${item.id}/versions`)).statusCode).toBe(404);
    expect((await api.get(`/vaults/${vault.id}/trash`)).json()).toEqual([]);
    expect((await api.delete(`/vaults/${vault.id}/items/${item.id}?permanent=true`)).statusCode).toBe(404);
  });

  it('does not reach an item through another vault', async () => {
    const a = await newVault('A');
    const b = await newVault('B');
    const item = (await api.post(`/vaults/${a.id}/items`, login('x'))).json();
    expect((await api.get(`/vaults/${b.id}/items/${item.id}`)).statusCode).toBe(404);
  });
});

describe('files', () => {
  it('uploads, lists, downloads and deletes a file, byte for byte', async () => {
    const vault = await newVault();
    const item = (await api.post(`/vaults/${vault.id}/items`, login('x'))).json();
    const base = `/api/admin/vaults/${vault.id}/items/${item.id}/files`;
    const bytes = Buffer.from([0, 1, 2, 255, 254, 10, 13]);
    const up = await t.app.inject({
      method: 'POST',
      url: `${base}?name=${encodeURIComponent('ключ.pem')}`,
      headers: { authorization: `Bearer ${t.token}`, 'content-type': 'application/octet-stream' },
      payload: bytes,
    });
    expect(up.statusCode).toBe(201);
    const file = up.json();
    expect(file).toEqual({
      id: file.id,
      name: 'ключ.pem',
      size: 7,
      content_path: `/v1/vaults/${vault.id}/items/${item.id}/files/${file.id}/content`,
    });
    expect((await api.get(`/vaults/${vault.id}/items/${item.id}/files`)).json()).toEqual([file]);
    expect((await api.get(`/vaults/${vault.id}/items/${item.id}`)).json().files).toEqual([file]);
    const down = await api.get(`/vaults/${vault.id}/items/${item.id}/files/${file.id}/content`);
    expect(down.headers['content-type']).toBe('application/octet-stream');
    expect(down.headers['content-disposition']).toBe(
      `attachment; filename="____.pem"; filename*=UTF-8''${encodeURIComponent('ключ.pem')}`,
    );
    expect(down.rawPayload.equals(bytes)).toBe(true);
    expect((await api.delete(`/vaults/${vault.id}/items/${item.id}/files/${file.id}`)).statusCode).toBe(204);
    expect((await api.get(`/vaults/${vault.id}/items/${item.id}/files/${file.id}`)).statusCode).toBe(404);
  });

  it('refuses an upload over the size limit with 413 and a JSON upload with 415', async () => {
    const vault = await newVault();
    const item = (await api.post(`/vaults/${vault.id}/items`, login('x'))).json();
    const url = `/api/admin/vaults/${vault.id}/items/${item.id}/files?name=big.bin`;
    const big = await t.app.inject({
      method: 'POST',
      url,
      headers: { authorization: `Bearer ${t.token}`, 'content-type': 'application/octet-stream' },
      payload: Buffer.alloc(t.config.maxFileSize + 1),
    });
    expect(big.statusCode).toBe(413);
    expect(big.json().code).toBe('payload_too_large');
    // Refused on its declared length, naming the limit, with the connection kept for the answer.
    expect(big.json().message).toMatch(
      /^the file is larger than this server accepts: at most \S+ \S+ \(KEYHOLD_MAX_FILE_SIZE\)$/,
    );
    expect(big.headers.connection).not.toBe('close');
    const json = await t.app.inject({
      method: 'POST',
      url,
      headers: { authorization: `Bearer ${t.token}`, 'content-type': 'application/json' },
      payload: { a: 1 },
    });
    expect(json.statusCode).toBe(415);
    expect((await api.get(`/vaults/${vault.id}/items/${item.id}/files`)).json()).toEqual([]);
  });
});

describe('users and vault permissions', () => {
  it('creates a user with a generated password shown once, and grants vault permissions', async () => {
    const vault = await newVault();
    const created = await api.post('/users', { email: 'Ada@Example.com', role: 'member' });
    expect(created.statusCode).toBe(201);
    const user = created.json();
    expect(user).toMatchObject({ email: 'ada@example.com', role: 'member' });
    expect(user.password).toMatch(/^[A-Za-z0-9_-]{24}$/);
    expect((await api.get(`/users/${user.id}`)).json()).not.toHaveProperty('password');
    expect((await api.get('/users?email=ada@example.com')).json()[0].id).toBe(user.id);
    const grant = await api.put(`/users/${user.id}/vaults/${vault.id}`, {
      permissions: ['write', 'read', 'read'],
    });
    expect(grant.json()).toEqual({ userId: user.id, vaultId: vault.id, permissions: ['read', 'write'] });
    expect((await api.get(`/users/${user.id}/vaults`)).json()).toEqual([grant.json()]);
    const dup = await api.post('/users', { email: 'ada@example.com' });
    expect(dup.statusCode).toBe(409);
    expect(dup.json().code).toBe('email_taken');
  });

  it('stores the password as argon2id', async () => {
    const user = (
      await api.post('/users', { email: 'b@example.com', password: 'long enough password' })
    ).json();
    const record = await t.services.storage.users.get(t.accountId, user.id);
    expect(record?.passwordHash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    expect(user).not.toHaveProperty('password');
  });

  it('refuses a short password', async () => {
    const res = await api.post('/users', { email: 'c@example.com', password: 'short' });
    expect(res.statusCode).toBe(400);
    expect(res.json().message).toBe('password: must be 12 to 1024 characters');
  });
});

describe('accounts', () => {
  it('lets the operator create an isolated account whose token sees only its own vaults', async () => {
    await newVault('Operator vault');
    const res = await api.post('/accounts', { name: 'Tenant B' });
    expect(res.statusCode).toBe(201);
    const tenant = res.json();
    expect(tenant.adminToken).toMatch(/^khadm_/);
    const b = client(t.app, tenant.adminToken);
    expect((await b.get('/vaults')).json()).toEqual([]);
    const operatorVault = (await api.get('/vaults')).json()[0];
    expect((await b.get(`/vaults/${operatorVault.id}`)).statusCode).toBe(404);
    expect((await b.get('/accounts')).statusCode).toBe(403);
    expect((await b.post('/accounts', { name: 'x' })).statusCode).toBe(403);
    expect((await api.get('/accounts')).json().map((a: { name: string }) => a.name)).toEqual([
      'Default',
      'Tenant B',
    ]);
  });

  it('deletes an account with everything in it; its token stops working at once', async () => {
    const tenant = (await api.post('/accounts', { name: 'Doomed' })).json();
    const b = client(t.app, tenant.adminToken);
    await b.post('/vaults', { name: 'v' });
    expect((await api.delete(`/accounts/${tenant.id}`)).statusCode).toBe(204);
    expect((await b.get('/vaults')).statusCode).toBe(401);
    expect((await api.delete(`/accounts/${tenant.id}`)).statusCode).toBe(404);
  });

  it('refuses to delete the account of the requesting token', async () => {
    const res = await api.delete(`/accounts/${t.accountId}`);
    expect(res.statusCode).toBe(409);
    expect(res.json().code).toBe('own_account');
  });
});

describe('audit trail', () => {
  it('records mutations and secret reads with actor and request facts, and no secret values', async () => {
    const vault = await newVault();
    const item = (await api.post(`/vaults/${vault.id}/items`, login('do-not-log-me'))).json();
    const read = await t.app.inject({
      method: 'GET',
      url: `/api/admin/vaults/${vault.id}/items/${item.id}`,
      headers: { authorization: `Bearer ${t.token}`, 'user-agent': 'audit-test/1.0' },
    });
    const events = (await api.get('/audit?limit=3')).json();
    expect(events[0]).toMatchObject({
      action: 'READ',
      resourceType: 'ITEM',
      vaultId: vault.id,
      itemId: item.id,
      itemVersion: 1,
      result: 'SUCCESS',
      actorType: 'admin_token',
      requestId: read.headers['x-request-id'],
      userAgent: 'audit-test/1.0',
      ip: '127.0.0.1',
    });
    expect(events[1]).toMatchObject({ action: 'CREATE', resourceType: 'ITEM', itemId: item.id });
    expect(events[2]).toMatchObject({ action: 'CREATE', resourceType: 'VAULT', vaultId: vault.id });
    const all = JSON.stringify((await api.get('/audit?limit=1000')).json());
    expect(all).not.toContain('do-not-log-me');
    expect(all).not.toContain('Database');
    const older = (await api.get(`/audit?limit=10&before=${events[1].seq}`)).json();
    expect(older[0].seq).toBe(events[2].seq);
  });
});
