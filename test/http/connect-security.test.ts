import { generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '../../src/crypto/ids.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { adminSetup, connectAppFor, type InjectableConnect } from '../helpers/connect-app.js';

/**
 * The seed's five guarantees and the attacks that must fail, against a Connect server hosted in
 * process over a real database. Every refusal is a 401 or 403 in Connect's `{status, message}`
 * shape and leaves a DENY event in the audit trail.
 */
let t: TestApp;
let setup: ReturnType<typeof adminSetup>;
let connect: InjectableConnect;
let serverId: string;
let vaultA: string;
let vaultB: string;
let vaultOff: string;
let itemA: string;
let itemB: string;
const tokens = {} as Record<'readA' | 'writeA' | 'rwA' | 'rwB', { id: string; token: string }>;

// Each request comes from an address of its own: past a handful a minute from one source,
// refusals are summarised instead of written one by one (domain/audit/refusal-summaries.ts),
// and these tests count one DENY event per refusal.
let requests = 0;
const remoteAddress = () => `10.0.${(++requests >> 8) & 255}.${requests & 255}`;
const get = (url: string, token?: string) =>
  connect.inject({
    method: 'GET',
    url,
    remoteAddress: remoteAddress(),
    headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
  });
const send = (method: 'POST' | 'PUT' | 'PATCH' | 'DELETE', url: string, token: string, payload?: unknown) =>
  connect.inject({
    method,
    url,
    remoteAddress: remoteAddress(),
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    ...(payload === undefined ? {} : { payload: JSON.stringify(payload) }),
  });

async function denials(): Promise<number> {
  const events = (await setup.api.get('/audit?limit=1000')).json() as { result: string }[];
  return events.filter((e) => e.result === 'DENY').length;
}

/** Asserts a refusal in the Connect error shape that added one DENY event. */
async function expectRefused(
  request: () => Promise<{ statusCode: number; json(): unknown }>,
  status: 401 | 403,
) {
  const before = await denials();
  const res = await request();
  expect(res.statusCode).toBe(status);
  const body = res.json() as { status: number; message: string };
  expect(Object.keys(body).sort()).toEqual(['message', 'status']);
  expect(body.status).toBe(status);
  expect(await denials()).toBe(before + 1);
  return body.message;
}

beforeAll(async () => {
  t = await startTestApp();
  setup = adminSetup(t);
  vaultA = (await setup.vault('A')).id;
  vaultB = (await setup.vault('B')).id;
  vaultOff = (await setup.vault('not on the server')).id;
  itemA = (await setup.item(vaultA, { title: 'a', fields: [{ purpose: 'PASSWORD', value: 'secret-a' }] })).id;
  itemB = (await setup.item(vaultB, { title: 'b', fields: [{ purpose: 'PASSWORD', value: 'secret-b' }] })).id;
  serverId = (await setup.server([vaultA, vaultB])).id;
  tokens.readA = await setup.token(serverId, [{ vaultId: vaultA, permissions: ['read'] }]);
  tokens.writeA = await setup.token(serverId, [{ vaultId: vaultA, permissions: ['write'] }]);
  tokens.rwA = await setup.token(serverId, [{ vaultId: vaultA, permissions: ['read', 'write'] }]);
  tokens.rwB = await setup.token(serverId, [{ vaultId: vaultB, permissions: ['read', 'write'] }]);
  connect = await connectAppFor(t, serverId);
});
afterAll(async () => {
  await connect.close();
  await t.close();
});

describe('guarantee 1: a token reads only vaults it was granted READ on', () => {
  it('lists and reads its own vault', async () => {
    const res = await get('/v1/vaults', tokens.readA.token);
    expect(res.json().map((v: { id: string }) => v.id)).toEqual([vaultA]);
    expect(res.headers['1password-connect-version']).toBe('1.8.1');
    const item = (await get(`/v1/vaults/${vaultA}/items/${itemA}`, tokens.readA.token)).json();
    expect(item.fields[0].value).toBe('secret-a');
  });

  it('cannot read vault B with a vault-A token', async () => {
    const msg = await expectRefused(() => get(`/v1/vaults/${vaultB}/items/${itemB}`, tokens.rwA.token), 403);
    expect(msg).toBe(`vault ${vaultB} is not in scope`);
    await expectRefused(() => get(`/v1/vaults/${vaultB}/items`, tokens.rwA.token), 403);
  });

  it('cannot read with a write-only token', async () => {
    const msg = await expectRefused(
      () => get(`/v1/vaults/${vaultA}/items/${itemA}`, tokens.writeA.token),
      403,
    );
    expect(msg).toBe(`token has no read access to vault ${vaultA}`);
  });
});

describe('guarantee 2: a token writes only where it was granted WRITE', () => {
  it('cannot create, update or delete with a read token', async () => {
    await expectRefused(
      () => send('POST', `/v1/vaults/${vaultA}/items`, tokens.readA.token, { title: 'x' }),
      403,
    );
    await expectRefused(
      () => send('PUT', `/v1/vaults/${vaultA}/items/${itemA}`, tokens.readA.token, { title: 'x' }),
      403,
    );
    await expectRefused(() => send('DELETE', `/v1/vaults/${vaultA}/items/${itemA}`, tokens.readA.token), 403);
    expect((await get(`/v1/vaults/${vaultA}/items/${itemA}`, tokens.readA.token)).json().title).toBe('a');
  });

  it('creates with a write token; POST answers 200 like Connect', async () => {
    const res = await send('POST', `/v1/vaults/${vaultA}/items`, tokens.rwA.token, {
      title: 'made',
      category: 'LOGIN',
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ title: 'made', vault: { id: vaultA }, version: 1 });
  });

  it('a write-only token never gets the item body back, not even from PATCH', async () => {
    const res = await send('PATCH', `/v1/vaults/${vaultA}/items/${itemA}`, tokens.writeA.token, [
      { op: 'replace', path: '/title', value: 'patched blind' },
    ]);
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(Object.keys(body).sort()).toEqual(['createdAt', 'id', 'updatedAt', 'vault', 'version']);
    expect(res.body).not.toContain('secret-a');
    expect((await get(`/v1/vaults/${vaultA}/items/${itemA}`, tokens.rwA.token)).json().title).toBe(
      'patched blind',
    );
  });
});

describe('guarantee 3: only vaults the server can access', () => {
  it('refuses at creation a grant on a vault the server cannot reach', async () => {
    const res = await setup.api.post(`/servers/${serverId}/tokens`, {
      name: 'bad',
      vaults: [{ vaultId: vaultOff, permissions: ['read'] }],
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().message).toBe(
      `vault ${vaultOff} is not accessible to server ${serverId}; add it to the server first`,
    );
  });

  it('a vault removed from the server stops working for existing tokens at once', async () => {
    const token = (await setup.token(serverId, [{ vaultId: vaultB, permissions: ['read'] }])).token;
    expect((await get(`/v1/vaults/${vaultB}/items`, token)).statusCode).toBe(200);
    await setup.api.patch(`/servers/${serverId}`, { removeVaults: [vaultB] });
    try {
      await expectRefused(() => get(`/v1/vaults/${vaultB}/items`, token), 403);
      expect((await get('/v1/vaults', token)).json()).toEqual([]);
    } finally {
      await setup.api.patch(`/servers/${serverId}`, { addVaults: [vaultB] });
    }
    expect((await get(`/v1/vaults/${vaultB}/items`, token)).statusCode).toBe(200);
  });
});

describe('guarantee 4: tokens of a deleted account never authenticate', () => {
  it('refuses the token right after its account is deleted', async () => {
    const other = (await setup.api.post('/accounts', { name: 'doomed' })).json();
    const otherSetup = adminSetup(t, other.adminToken);
    const v = (await otherSetup.vault('v')).id;
    const s = (await otherSetup.server([v])).id;
    const tok = (await otherSetup.token(s, [{ vaultId: v, permissions: ['read'] }])).token;
    const otherConnect = await connectAppFor(t, s);
    try {
      expect(
        (await otherConnect.inject({ url: '/v1/vaults', headers: { authorization: `Bearer ${tok}` } }))
          .statusCode,
      ).toBe(200);
      expect((await setup.api.delete(`/accounts/${other.id}`)).statusCode).toBe(204);
      const res = await otherConnect.inject({
        url: '/v1/vaults',
        headers: { authorization: `Bearer ${tok}` },
      });
      expect(res.statusCode).toBe(401);
      expect(res.json().status).toBe(401);
    } finally {
      await otherConnect.close();
    }
  });
});

describe('guarantee 5: a token can never manage tokens', () => {
  it('is refused by every admin route', async () => {
    const token = tokens.rwA.token;
    for (const [method, url] of [
      ['POST', `/api/admin/servers/${serverId}/tokens`],
      ['GET', `/api/admin/servers/${serverId}/tokens`],
      ['DELETE', `/api/admin/tokens/${tokens.readA.id}`],
      ['POST', '/api/admin/keys/rotate'],
      ['GET', '/api/admin/vaults'],
    ] as const) {
      const res = await t.app.inject({
        method,
        url,
        headers: { authorization: `Bearer ${token}` },
        payload: {},
      });
      expect(res.statusCode, url).toBe(401);
    }
  });
});

describe('attacks that must fail with 401', () => {
  const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const claimsFor = (jti = newId()) => ({
    iss: 'keyhold',
    sub: serverId,
    aud: [serverId],
    jti,
    iat: Math.floor(Date.now() / 1000),
    '1password.com/auuid': t.accountId,
    '1password.com/fts': ['vaultaccess'],
    '1password.com/vts': [{ u: vaultA, a: 3 }],
  });

  it('missing header, garbage bearer', async () => {
    expect(await expectRefused(() => get('/v1/vaults'), 401)).toBe(
      'Invalid bearer token: send `Authorization: Bearer <Connect token>`',
    );
    expect(await expectRefused(() => get('/v1/vaults', 'garbage'), 401)).toBe('Invalid token signature');
  });

  it('alg: none', async () => {
    const token = `${b64({ alg: 'none', typ: 'JWT' })}.${b64(claimsFor())}.`;
    await expectRefused(() => get('/v1/vaults', token), 401);
  });

  it('HS256 signed with the public key', async () => {
    const keys = (await setup.api.get('/keys')).json().keys as { kind: string; publicJwk: { kid: string } }[];
    const publicJwk = keys.find((k) => k.kind === 'connect')?.publicJwk as { kid: string };
    const secret = new TextEncoder().encode(JSON.stringify(publicJwk));
    const token = await new SignJWT(claimsFor())
      .setProtectedHeader({ alg: 'HS256', kid: publicJwk.kid })
      .sign(secret);
    await expectRefused(() => get('/v1/vaults', token), 401);
  });

  it('unknown kid', async () => {
    const { privateKey } = await generateKeyPair('ES256');
    const token = await new SignJWT(claimsFor())
      .setProtectedHeader({ alg: 'ES256', kid: newId() })
      .sign(privateKey);
    await expectRefused(() => get('/v1/vaults', token), 401);
  });

  it("a valid signature from another account's key", async () => {
    const other = (await setup.api.post('/accounts', { name: 'attacker' })).json();
    const signer = await t.services.signingKeys.signer(other.id, 'connect');
    for (const account of [t.accountId, other.id]) {
      const token = await new SignJWT({ ...claimsFor(), '1password.com/auuid': account })
        .setProtectedHeader({ alg: 'ES256', kid: signer.kid, typ: 'JWT' })
        .sign(signer.privateKey);
      await expectRefused(() => get('/v1/vaults', token), 401);
    }
  });

  it('expired, and nbf in the future', async () => {
    const signer = await t.services.signingKeys.signer(t.accountId, 'connect');
    const now = Math.floor(Date.now() / 1000);
    const expired = await new SignJWT({ ...claimsFor(), exp: now - 10 })
      .setProtectedHeader({ alg: 'ES256', kid: signer.kid })
      .sign(signer.privateKey);
    expect(await expectRefused(() => get('/v1/vaults', expired), 401)).toBe(
      'Invalid token: the token has expired',
    );
    const early = await new SignJWT({ ...claimsFor(), nbf: now + 3600 })
      .setProtectedHeader({ alg: 'ES256', kid: signer.kid })
      .sign(signer.privateKey);
    expect(await expectRefused(() => get('/v1/vaults', early), 401)).toBe(
      'Invalid token: the token is not valid yet',
    );
  });

  it('a validly signed token that was never issued (unknown jti)', async () => {
    const signer = await t.services.signingKeys.signer(t.accountId, 'connect');
    const forged = await new SignJWT(claimsFor())
      .setProtectedHeader({ alg: 'ES256', kid: signer.kid })
      .sign(signer.privateKey);
    expect(await expectRefused(() => get('/v1/vaults', forged), 401)).toBe(
      'Invalid token: not issued for this server',
    );
  });

  it('aud of another server', async () => {
    const otherServer = (await setup.server([vaultA], 'other')).id;
    const token = (await setup.token(otherServer, [{ vaultId: vaultA, permissions: ['read'] }])).token;
    expect(await expectRefused(() => get('/v1/vaults', token), 401)).toBe(
      'Invalid token: issued for another server',
    );
  });

  it('tampered vault claims', async () => {
    const [header, payload, signature] = tokens.readA.token.split('.');
    const claims = JSON.parse(Buffer.from(payload as string, 'base64url').toString());
    claims['1password.com/vts'] = [
      { u: vaultA, a: 3 },
      { u: vaultB, a: 3 },
    ];
    const tampered = `${header}.${b64(claims)}.${signature}`;
    expect(await expectRefused(() => get(`/v1/vaults/${vaultB}/items`, tampered), 401)).toBe(
      'Invalid token signature',
    );
  });

  it('a revoked token, at its very next request (the verified-signature cache included)', async () => {
    const issued = await setup.token(serverId, [{ vaultId: vaultA, permissions: ['read'] }]);
    expect((await get('/v1/vaults', issued.token)).statusCode).toBe(200);
    expect((await setup.api.delete(`/tokens/${issued.id}`)).statusCode).toBe(204);
    expect(await expectRefused(() => get('/v1/vaults', issued.token), 401)).toBe(
      'Invalid token: the token has been revoked',
    );
    // Revoking again is idempotent: 204, and no second event.
    const events = async () =>
      (await setup.api.get('/audit?limit=1000'))
        .json()
        .filter((e: { resourceId: string }) => e.resourceId === issued.id).length;
    const before = await events();
    expect((await setup.api.delete(`/tokens/${issued.id}`)).statusCode).toBe(204);
    expect(await events()).toBe(before);
  });

  it('refuses a server update that changes nothing or removes a vault the server does not have', async () => {
    expect((await setup.api.patch(`/servers/${serverId}`, {})).json()).toMatchObject({
      status: 400,
      message: 'nothing to change: give addVaults, removeVaults or both',
    });
    expect(
      (await setup.api.patch(`/servers/${serverId}`, { removeVaults: [vaultOff] })).json(),
    ).toMatchObject({
      status: 400,
      message: `vault ${vaultOff} is not on server ${serverId}`,
    });
  });

  it('every token of a deleted server', async () => {
    const s = (await setup.server([vaultA], 'short-lived')).id;
    const issued = await setup.token(s, [{ vaultId: vaultA, permissions: ['read'] }]);
    const app = await connectAppFor(t, s);
    try {
      expect(
        (await app.inject({ url: '/v1/vaults', headers: { authorization: `Bearer ${issued.token}` } }))
          .statusCode,
      ).toBe(200);
      await setup.api.delete(`/servers/${s}`);
      const res = await app.inject({
        url: '/v1/vaults',
        headers: { authorization: `Bearer ${issued.token}` },
      });
      expect(res.statusCode).toBe(401);
    } finally {
      await app.close();
    }
  });
});

describe('signing keys', () => {
  type KeyView = { kid: string; kind: string; retiredAt: string | null; publicJwk: Record<string, unknown> };

  it('every account is created with one signing key per kind, audited; issuing tokens creates none', async () => {
    const created = (await setup.api.post('/accounts', { name: 'with key' })).json();
    const other = adminSetup(t, created.adminToken);
    const keys = (await other.api.get('/keys')).json().keys as KeyView[];
    expect(keys.map((k) => k.kind).sort()).toEqual(['connect', 'oauth']);
    expect(keys.every((k) => k.retiredAt === null)).toBe(true);
    const events = (await setup.api.get('/audit?limit=10')).json() as { resourceId: string }[];
    for (const key of keys) {
      expect(events.filter((e) => e.resourceId === key.kid)).toEqual([
        expect.objectContaining({ action: 'CREATE', resourceType: 'SIGNING_KEY', result: 'SUCCESS' }),
      ]);
    }
    const v = (await other.vault('v')).id;
    const s = (await other.server([v])).id;
    await other.token(s, [{ vaultId: v, permissions: ['read'] }]);
    expect((await other.api.get('/keys')).json().keys).toEqual(keys);
  });

  it('keeps tokens signed by the old key working and signs new ones with the new key', async () => {
    const before = await setup.token(serverId, [{ vaultId: vaultA, permissions: ['read'] }]);
    const rotated = (await setup.api.post('/keys/rotate')).json();
    expect(rotated.kind).toBe('connect');
    const after = await setup.token(serverId, [{ vaultId: vaultA, permissions: ['read'] }]);
    const kid = (jwt: string) =>
      JSON.parse(Buffer.from(jwt.split('.')[0] as string, 'base64url').toString()).kid;
    expect(kid(after.token)).toBe(rotated.kid);
    expect(kid(before.token)).not.toBe(rotated.kid);
    expect((await get('/v1/vaults', before.token)).statusCode).toBe(200);
    expect((await get('/v1/vaults', after.token)).statusCode).toBe(200);
    const keys = (await setup.api.get('/keys')).json().keys as KeyView[];
    const connectKeys = keys.filter((k) => k.kind === 'connect');
    expect(connectKeys.map((k) => k.kid)).toEqual(expect.arrayContaining([kid(before.token), rotated.kid]));
    expect(JSON.stringify(keys)).not.toMatch(/"d":/);
    const published = await t.app.inject({ url: `/api/accounts/${t.accountId}/jwks.json` });
    expect(published.statusCode).toBe(200);
    // The Connect JWKS holds the Connect keys, and only them.
    expect(published.json()).toEqual({ keys: connectKeys.map((k) => k.publicJwk) });
    expect(
      published
        .json()
        .keys.every((k: Record<string, unknown>) => k.kty === 'EC' && k.crv === 'P-256' && !('d' in k)),
    ).toBe(true);
    expect((await t.app.inject({ url: `/api/accounts/${'z'.repeat(26)}/jwks.json` })).statusCode).toBe(404);
  });
});
