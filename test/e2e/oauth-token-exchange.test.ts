import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ItemBuilder, ItemCategory, OnePasswordConnect } from '@1password/connect';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import * as openid from 'openid-client';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/schema.js';
import { initDataDir, type RunningService, startService } from '../../src/main.js';
import { type ConsentOption, userTokens } from '../helpers/oauth.js';
import { discoverClient } from '../helpers/openid-client.js';

/**
 * RFC 8693 token exchange over real HTTP, driven by openid-client (`genericGrantRequest`) where it
 * fits and by plain `fetch` for the refusals: down-scoping, refused widening, another audience,
 * `act` for a delegation (nested), the lifetime cap, introspection, each error of §2.2.2, and the
 * grant's revocation ending what was exchanged. Then the Connect bridge: a vault API access token
 * exchanged for a Connect token that the official Connect SDK (`@1password/connect`, unchanged)
 * uses against a Connect server hosted by the service — limited to the intersection of the grant,
 * the user's access and the server's vaults — and that stops working when the grant ends.
 */
const TOKEN_EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';
const ACCESS_TYPE = 'urn:ietf:params:oauth:token-type:access_token';
const CONNECT_TYPE = 'urn:keyhold:params:oauth:token-type:connect';
const OWNER_PASSWORD = 'correct horse battery staple';
const MEMBER_PASSWORD = 'a long enough member password';
const REDIRECT = 'https://app.example.com/callback';
const REPORTS = 'https://reports.example.com';
const SHORT = 'https://short.example.com';
const quiet = pino({ level: 'silent' });

let dir: string;
let config: Config;
let service: RunningService;
let adminToken: string;
let accountId: string;
let issuer: string;
let connectUrl: string;
let personal: string;
let work: string;
let ops: string;
let personalItem: string;
let member: { id: string; email: string };
type Client = { clientId: string; clientSecret: string };
let app: Client;
let plain: Client;
let agent: Client;
let reportsServer: { id: string; secret: string };

async function admin<T = unknown>(method: string, path: string, body?: unknown): Promise<T> {
  const response = await fetch(`${service.url}/api/admin${path}`, {
    method,
    headers: {
      authorization: `Bearer ${adminToken}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${path} → ${response.status} ${text}`);
  return (text === '' ? undefined : JSON.parse(text)) as T;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'keyhold-token-exchange-'));
  config = loadConfig({ KEYHOLD_DATA_DIR: dir, KEYHOLD_PORT: '0', KEYHOLD_LOG_LEVEL: 'silent' });
  const init = await initDataDir(config, { ownerPassword: OWNER_PASSWORD });
  await init.storage.close();
  adminToken = init.adminToken;
  accountId = init.accountId;
  service = await startService(config, quiet);
  personal = (await admin<{ id: string }>('POST', '/vaults', { name: 'Personal' })).id;
  work = (await admin<{ id: string }>('POST', '/vaults', { name: 'Work' })).id;
  ops = (await admin<{ id: string }>('POST', '/vaults', { name: 'Ops' })).id;
  personalItem = (
    await admin<{ id: string }>('POST', `/vaults/${personal}/items`, {
      category: 'LOGIN',
      title: 'Bank',
      fields: [{ id: 'password', type: 'CONCEALED', purpose: 'PASSWORD', value: 'from-the-vault' }],
    })
  ).id;
  member = await admin('POST', '/users', {
    email: 'member@example.com',
    password: MEMBER_PASSWORD,
    role: 'member',
  });
  // The member may read and write Personal, only read Work, and has nothing in Ops.
  await admin('PUT', `/users/${member.id}/vaults/${personal}`, { permissions: ['read', 'write'] });
  await admin('PUT', `/users/${member.id}/vaults/${work}`, { permissions: ['read'] });
  // Payments serves all three vaults; Vacant serves only Ops, where the member has nothing.
  const payments = await admin<{ id: string; credentials: unknown }>('POST', '/servers', {
    name: 'Payments',
    vaults: [personal, work, ops],
  });
  await admin('POST', '/servers', { name: 'Vacant', vaults: [ops] });
  const credentialsFile = join(dir, 'payments-credentials.json');
  writeFileSync(credentialsFile, JSON.stringify(payments.credentials), { mode: 0o600 });

  reportsServer = await admin('POST', '/resource-servers', {
    identifier: REPORTS,
    name: 'Reports',
    scopes: [
      { name: 'reports:read', description: 'Read reports' },
      { name: 'reports:write', description: 'Write reports' },
    ],
  });
  await admin('POST', '/resource-servers', {
    identifier: SHORT,
    name: 'Short-lived',
    accessTokenTtl: 60,
    scopes: [{ name: 'short:read', description: 'Read briefly' }],
  });
  const scopes = ['vault:read', 'vault:write', 'reports:read', 'reports:write', 'short:read'];
  app = await admin('POST', '/clients', {
    name: 'Exchanging app',
    redirectUris: [REDIRECT],
    scopes,
    grantTypes: ['authorization_code', 'refresh_token', TOKEN_EXCHANGE],
  });
  plain = await admin('POST', '/clients', {
    name: 'Plain app',
    redirectUris: [REDIRECT],
    scopes,
    grantTypes: ['authorization_code', 'refresh_token'],
  });
  agent = await admin('POST', '/clients', {
    name: 'Agent',
    redirectUris: [],
    scopes: ['reports:read'],
    grantTypes: ['client_credentials', TOKEN_EXCHANGE],
  });
  // `keyhold serve --connect FILE:0`: the service again, hosting Payments.
  await service.close();
  service = await startService(config, quiet, [{ credentialsFile, port: 0 }]);
  connectUrl = service.connectUrls[0] ?? '';
  issuer = `${service.url}/oauth/${accountId}`;
}, 120_000);

afterAll(async () => {
  await service?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const basic = (c: Client) => `Basic ${Buffer.from(`${c.clientId}:${c.clientSecret}`).toString('base64')}`;

/** The member's tokens for `client` through the code flow, approving `choose` (all by default). */
const memberTokens = (client: Client, scope: string, choose?: (o: ConsentOption[]) => string[]) =>
  userTokens(
    issuer,
    client,
    { email: member.email, password: MEMBER_PASSWORD },
    {
      scope,
      redirectUri: REDIRECT,
      ...(choose ? { choose } : {}),
    },
  ) as Promise<{ access_token: string; refresh_token?: string; scope: string; grant_id?: string }>;

/** A raw token request by `client`: status and JSON body. */
async function tokenRequest(client: Client, params: Record<string, string | string[]>) {
  const body = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) for (const one of [v].flat()) body.append(k, one);
  const response = await fetch(`${issuer}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic(client) },
    body: body.toString(),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

const exchange = (client: Client, subject: string, extra: Record<string, string | string[]> = {}) =>
  tokenRequest(client, {
    grant_type: TOKEN_EXCHANGE,
    subject_token: subject,
    subject_token_type: ACCESS_TYPE,
    ...extra,
  });

async function introspect(token: string, as: Client | { id: string; secret: string } = app) {
  const authorization =
    'clientId' in as ? basic(as) : `Basic ${Buffer.from(`${as.id}:${as.secret}`).toString('base64')}`;
  const response = await fetch(`${issuer}/introspect`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization },
    body: new URLSearchParams({ token }).toString(),
  });
  return (await response.json()) as Record<string, unknown>;
}

const vaultApi = (token: string, path: string, init: RequestInit = {}) =>
  fetch(`${service.url}/api/v1${path}`, {
    ...init,
    headers: { authorization: `Bearer ${token}`, ...(init.headers ?? {}) },
  });

const grantOf = async (grantId: string | undefined) =>
  (await admin<{ id: string }[]>('GET', `/grants?userId=${member.id}`)).find((g) => g.id === grantId);

/** openid-client configured for `client` from the discovery document. */
const openidFor = (client: Client) => discoverClient(issuer, client, REDIRECT);

describe('token exchange (RFC 8693)', () => {
  it('is advertised in the metadata', async () => {
    const metadata = (await (
      await fetch(`${service.url}/.well-known/oauth-authorization-server/oauth/${accountId}`)
    ).json()) as { grant_types_supported: string[] };
    expect(metadata.grant_types_supported).toContain(TOKEN_EXCHANGE);
  });

  it('narrows a vault API token with openid-client: fewer scopes, no refresh token, no longer life; the API honours exactly that', async () => {
    const subject = await memberTokens(app, 'vault:read vault:write');
    expect(subject.scope.split(' ').sort()).toEqual(
      [`vault:${personal}:read`, `vault:${personal}:write`, `vault:${work}:read`].sort(),
    );
    const config = await openidFor(app);
    const narrowed = await openid.genericGrantRequest(config, TOKEN_EXCHANGE, {
      subject_token: subject.access_token,
      subject_token_type: ACCESS_TYPE,
      scope: `vault:${personal}:read`,
    });
    expect(narrowed.scope).toBe(`vault:${personal}:read`);
    expect(narrowed.issued_token_type).toBe(ACCESS_TYPE);
    expect(narrowed.token_type).toBe('bearer');
    expect(narrowed.refresh_token).toBeUndefined();
    expect(narrowed.grant_id).toBe(subject.grant_id);
    const before = await introspect(subject.access_token);
    const after = await introspect(narrowed.access_token);
    expect(after).toMatchObject({
      active: true,
      scope: `vault:${personal}:read`,
      sub: member.id,
      client_id: app.clientId,
    });
    expect(after).not.toHaveProperty('act');
    expect(after.exp as number).toBeLessThanOrEqual(before.exp as number);

    expect((await vaultApi(narrowed.access_token, `/vaults/${personal}/items/${personalItem}`)).status).toBe(
      200,
    );
    expect((await vaultApi(narrowed.access_token, `/vaults/${work}/items`)).status).toBe(403);
    const write = await vaultApi(narrowed.access_token, `/vaults/${personal}/items`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ category: 'LOGIN', title: 'not through a read token' }),
    });
    expect(write.status).toBe(403);
  });

  it('never widens: a scope the subject token lacks is invalid_scope, and nothing is issued', async () => {
    const full = await memberTokens(app, 'vault:read vault:write');
    const narrowed = await exchange(app, full.access_token, { scope: `vault:${personal}:read` });
    expect(narrowed.body.scope).toBe(`vault:${personal}:read`);
    const subject = narrowed.body.access_token as string;
    for (const scope of [
      `vault:${work}:read`,
      `vault:${personal}:read vault:${personal}:write`,
      `vault:${ops}:read`,
    ]) {
      const refused = await exchange(app, subject, { scope });
      expect(refused.status, scope).toBe(400);
      expect(refused.body.error, scope).toBe('invalid_scope');
      expect(refused.body.error_description).toMatch(/only narrows/);
      expect(refused.body).not.toHaveProperty('access_token');
    }
    // Nor by leaving scope out: the exchanged token keeps the subject's scopes, no more.
    expect((await exchange(app, subject)).body.scope).toBe(`vault:${personal}:read`);
  });

  it('changes the audience to a resource server where the user granted the client scopes, tied to that grant', async () => {
    const vault = await memberTokens(app, 'vault:read');
    const reports = await memberTokens(app, 'reports:read');
    const moved = await exchange(app, vault.access_token, { audience: REPORTS, scope: 'reports:read' });
    expect(moved.status).toBe(200);
    expect(moved.body).toMatchObject({
      scope: 'reports:read',
      grant_id: reports.grant_id,
      issued_token_type: ACCESS_TYPE,
    });
    // The resource server sees a token for itself, of the member.
    expect(await introspect(moved.body.access_token as string, reportsServer)).toMatchObject({
      active: true,
      aud: REPORTS,
      sub: member.id,
    });
    // `resource` names it as well; a scope the grant there lacks is refused.
    const wider = await exchange(app, vault.access_token, { resource: REPORTS, scope: 'reports:write' });
    expect(wider.body.error).toBe('invalid_scope');
    // Where the user granted this client nothing, or an unknown target: invalid_target.
    const nothing = await exchange(app, vault.access_token, { resource: SHORT });
    expect(nothing).toMatchObject({ status: 400, body: { error: 'invalid_target' } });
    const unknown = await exchange(app, vault.access_token, { resource: 'https://nowhere.example.com' });
    expect(unknown).toMatchObject({ status: 400, body: { error: 'invalid_target' } });
    const two = await exchange(app, vault.access_token, { resource: REPORTS, audience: SHORT });
    expect(two).toMatchObject({ status: 400, body: { error: 'invalid_target' } });
    // Revoking the Reports grant ends the token exchanged into it.
    await admin('DELETE', `/grants/${reports.grant_id}`);
    expect(await introspect(moved.body.access_token as string, reportsServer)).toEqual({ active: false });
  });

  it('never outlives the subject token: a 60-second token exchanged into the vault API gets at most 60 seconds', async () => {
    await memberTokens(app, 'vault:read');
    const short = await memberTokens(app, 'short:read');
    const subjectExp = (await introspect(short.access_token)).exp as number;
    const exchanged = await exchange(app, short.access_token, { resource: 'urn:keyhold:vault-api' });
    expect(exchanged.status).toBe(200);
    expect(exchanged.body.expires_in as number).toBeLessThanOrEqual(60);
    expect((await introspect(exchanged.body.access_token as string)).exp as number).toBeLessThanOrEqual(
      subjectExp,
    );
  });

  it('records a delegation as act, nesting the earlier actor, shown by introspection', async () => {
    const subject = await memberTokens(app, 'vault:read');
    const agentToken = await tokenRequest(agent, { grant_type: 'client_credentials', scope: 'reports:read' });
    const delegated = await exchange(app, subject.access_token, {
      actor_token: agentToken.body.access_token as string,
      actor_token_type: ACCESS_TYPE,
    });
    expect(delegated.status).toBe(200);
    const act = { sub: agent.clientId, client_id: agent.clientId };
    expect(await introspect(delegated.body.access_token as string)).toMatchObject({
      active: true,
      sub: member.id,
      act,
    });
    // The delegated token delegated again, with the member's own token as the new actor.
    const again = await exchange(app, delegated.body.access_token as string, {
      actor_token: subject.access_token,
      actor_token_type: ACCESS_TYPE,
      scope: subject.scope.split(' ')[0] ?? '',
    });
    expect(again.status).toBe(200);
    expect((await introspect(again.body.access_token as string)).act).toEqual({
      sub: member.id,
      client_id: app.clientId,
      act,
    });
    // Without an actor token, a delegated token's act carries over.
    const carried = await exchange(app, delegated.body.access_token as string);
    expect((await introspect(carried.body.access_token as string)).act).toEqual(act);
    // The exchange and the tokens are in the audit trail, as the client's doing.
    const audit = await admin<
      { action: string; resourceType: string; resourceId: string; actorId: string }[]
    >('GET', '/audit?limit=100');
    const jti = (await introspect(again.body.access_token as string)).jti;
    expect(audit.find((e) => e.resourceType === 'OAUTH_TOKEN' && e.resourceId === jti)).toMatchObject({
      action: 'CREATE',
      actorId: app.clientId,
    });
  });

  it('ends with the grant: revoking it makes every exchanged token inactive and refused', async () => {
    const subject = await memberTokens(app, 'vault:read');
    const exchanged = await exchange(app, subject.access_token);
    expect(exchanged.status).toBe(200);
    expect((await vaultApi(exchanged.body.access_token as string, '/vaults')).status).toBe(200);
    await admin('DELETE', `/grants/${subject.grant_id}`);
    expect(await introspect(exchanged.body.access_token as string)).toEqual({ active: false });
    expect((await vaultApi(exchanged.body.access_token as string, '/vaults')).status).toBe(401);
    // And the subject token of a revoked grant cannot be exchanged any more.
    const late = await exchange(app, subject.access_token);
    expect(late).toMatchObject({ status: 400, body: { error: 'invalid_request' } });
  });

  it('answers each RFC 8693 §2.2.2 error with its code, and issues nothing', async () => {
    const subject = await memberTokens(app, 'vault:read');
    const cases: [string, Client, Record<string, string>, number, string][] = [
      ['no subject_token', app, { subject_token_type: ACCESS_TYPE }, 400, 'invalid_request'],
      ['no subject_token_type', app, { subject_token: subject.access_token }, 400, 'invalid_request'],
      [
        'an unsupported subject_token_type',
        app,
        { subject_token: subject.access_token, subject_token_type: 'urn:ietf:params:oauth:token-type:saml2' },
        400,
        'invalid_request',
      ],
      [
        'an unsupported requested_token_type',
        app,
        {
          subject_token: subject.access_token,
          subject_token_type: ACCESS_TYPE,
          requested_token_type: 'urn:ietf:params:oauth:token-type:refresh_token',
        },
        400,
        'invalid_request',
      ],
      [
        'an unknown subject token',
        app,
        { subject_token: 'khat_not-a-token', subject_token_type: ACCESS_TYPE },
        400,
        'invalid_request',
      ],
      [
        'a refresh token as the subject',
        app,
        { subject_token: subject.refresh_token ?? '', subject_token_type: ACCESS_TYPE },
        400,
        'invalid_request',
      ],
      [
        'actor_token_type without actor_token',
        app,
        {
          subject_token: subject.access_token,
          subject_token_type: ACCESS_TYPE,
          actor_token_type: ACCESS_TYPE,
        },
        400,
        'invalid_request',
      ],
      [
        'an actor_token that is not a token',
        app,
        {
          subject_token: subject.access_token,
          subject_token_type: ACCESS_TYPE,
          actor_token: 'khat_nope',
          actor_token_type: ACCESS_TYPE,
        },
        400,
        'invalid_request',
      ],
      [
        "another client's subject token",
        agent,
        { subject_token: subject.access_token, subject_token_type: ACCESS_TYPE },
        400,
        'invalid_request',
      ],
      [
        'a client not registered for the grant',
        plain,
        { subject_token: subject.access_token, subject_token_type: ACCESS_TYPE },
        400,
        'unauthorized_client',
      ],
    ];
    for (const [what, client, params, status, error] of cases) {
      const answer = await tokenRequest(client, { grant_type: TOKEN_EXCHANGE, ...params });
      expect(answer.status, what).toBe(status);
      expect(answer.body.error, what).toBe(error);
      expect(answer.body.error_description, what).toEqual(expect.any(String));
      expect(answer.body, what).not.toHaveProperty('access_token');
    }
    // A revoked subject token (RFC 7009) is refused like an unknown one.
    const revoked = await fetch(`${issuer}/revoke`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic(app) },
      body: new URLSearchParams({ token: subject.access_token }).toString(),
    });
    expect(revoked.status).toBe(200);
    const refused = await exchange(app, subject.access_token);
    expect(refused).toMatchObject({ status: 400, body: { error: 'invalid_request' } });
    // The refusal of another client's token says nothing the unknown token's does not.
    const unknown = await exchange(app, 'khat_not-a-token');
    expect(refused.body.error_description).toBe(unknown.body.error_description);
  });

  it('binds to a DPoP key: a bound subject token is exchanged only with a proof of its key, and stays bound', async () => {
    const newKey = async () => {
      const pair = await generateKeyPair('ES256', { extractable: true });
      return { privateKey: pair.privateKey, jwk: await exportJWK(pair.publicKey) };
    };
    /** A token exchange with a fresh DPoP proof by `key` (the server's nonce fetched first). */
    const withProof = async (
      key: Awaited<ReturnType<typeof newKey>> | undefined,
      params: Record<string, string>,
    ) => {
      const nonce = (await fetch(`${issuer}/token`, { method: 'POST' })).headers.get('dpop-nonce') ?? '';
      const headers: Record<string, string> = {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: basic(app),
      };
      if (key) {
        headers.dpop = await new SignJWT({
          htm: 'POST',
          htu: `${issuer}/token`,
          iat: Math.floor(Date.now() / 1000),
          jti: randomUUID(),
          nonce,
        })
          .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk: key.jwk })
          .sign(key.privateKey);
      }
      const response = await fetch(`${issuer}/token`, {
        method: 'POST',
        headers,
        body: new URLSearchParams({ grant_type: TOKEN_EXCHANGE, subject_token_type: ACCESS_TYPE, ...params }),
      });
      return { status: response.status, body: (await response.json()) as Record<string, unknown> };
    };
    const key = await newKey();
    const bearer = await memberTokens(app, 'vault:read');
    // A proof with the request binds the exchanged token to its key.
    const bound = await withProof(key, { subject_token: bearer.access_token });
    expect(bound).toMatchObject({ status: 200, body: { token_type: 'DPoP' } });
    const boundToken = bound.body.access_token as string;
    const jkt = ((await introspect(boundToken)).cnf as { jkt: string }).jkt;
    expect(jkt).toMatch(/^[A-Za-z0-9_-]{43}$/);
    // Without a proof, or with another key's: refused.
    const bare = await exchange(app, boundToken);
    expect(bare).toMatchObject({ status: 400, body: { error: 'invalid_dpop_proof' } });
    const stranger = await withProof(await newKey(), { subject_token: boundToken });
    expect(stranger).toMatchObject({ status: 400, body: { error: 'invalid_request' } });
    // With its key: a token bound to the same key.
    const again = await withProof(key, { subject_token: boundToken });
    expect(again).toMatchObject({ status: 200, body: { token_type: 'DPoP' } });
    expect(await introspect(again.body.access_token as string)).toMatchObject({ active: true, cnf: { jkt } });
    // Never for a Connect token, a bearer token: the binding would be lost.
    const connect = await withProof(key, {
      subject_token: boundToken,
      requested_token_type: CONNECT_TYPE,
      audience: 'Payments',
    });
    expect(connect).toMatchObject({ status: 400, body: { error: 'invalid_request' } });
    expect(connect.body.error_description).toMatch(/bearer token/);
  });

  it('is refused at registration for a public client', async () => {
    const response = await fetch(`${service.url}/api/admin/clients`, {
      method: 'POST',
      headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        name: 'SPA',
        public: true,
        redirectUris: [REDIRECT],
        scopes: ['vault:read'],
        grantTypes: ['authorization_code', TOKEN_EXCHANGE],
      }),
    });
    expect(response.status).toBe(400);
    expect(await response.text()).toMatch(/public client cannot use token exchange/);
  });
});

describe('the Connect bridge', () => {
  const toConnect = (subject: string, audience: string | undefined, extra: Record<string, string> = {}) =>
    exchange(app, subject, {
      requested_token_type: CONNECT_TYPE,
      ...(audience === undefined ? {} : { audience }),
      ...extra,
    });
  const sdk = (token: string) => OnePasswordConnect({ serverURL: connectUrl, token, keepAlive: false });

  it('gives the official Connect SDK a short-lived token for the intersection; it stops when the user revokes the grant', async () => {
    const subject = await memberTokens(app, 'vault:read vault:write');
    const config = await openidFor(app);
    const bridged = await openid.genericGrantRequest(config, TOKEN_EXCHANGE, {
      subject_token: subject.access_token,
      subject_token_type: ACCESS_TYPE,
      requested_token_type: CONNECT_TYPE,
      audience: 'Payments',
    });
    expect(bridged.issued_token_type).toBe(CONNECT_TYPE);
    expect(bridged.expires_in).toBeLessThanOrEqual(900);
    expect(bridged.expires_in).toBeGreaterThan(800);
    expect(bridged.refresh_token).toBeUndefined();

    const op = sdk(bridged.access_token);
    // Personal (read and write) and Work (read only); not Ops, which the member cannot see.
    expect((await op.listVaults()).map((v) => v.name).sort()).toEqual(['Personal', 'Work']);
    const item = await op.getItem(personal, personalItem);
    expect(item.fields?.find((field) => field.id === 'password')?.value).toBe('from-the-vault');
    const created = await op.createItem(
      personal,
      new ItemBuilder().setCategory(ItemCategory.Login).setTitle('Written through the bridge').build(),
    );
    expect(created.title).toBe('Written through the bridge');
    await expect(
      op.createItem(work, new ItemBuilder().setCategory(ItemCategory.Login).setTitle('no').build()),
    ).rejects.toMatchObject({ status: 403 });
    await expect(op.listItems(ops)).rejects.toMatchObject({ status: 403 });

    // The user revokes the grant (the connected-apps page and the admin API share this path).
    expect(await grantOf(subject.grant_id)).toBeDefined();
    await admin('DELETE', `/grants/${subject.grant_id}`);
    await expect(op.getItem(personal, personalItem)).rejects.toMatchObject({ status: 401 });
    await expect(op.listVaults()).rejects.toMatchObject({ status: 401 });
  });

  it('narrows to the scope asked, and names the server by id as well as by name', async () => {
    const subject = await memberTokens(app, 'vault:read vault:write');
    const [server] = await admin<{ id: string; name: string }[]>('GET', '/servers').then((s) =>
      s.filter((x) => x.name === 'Payments'),
    );
    const bridged = await toConnect(subject.access_token, server?.id, { scope: `vault:${personal}:read` });
    expect(bridged.status).toBe(200);
    expect(bridged.body.scope).toBe(`vault:${personal}:read`);
    const op = sdk(bridged.body.access_token as string);
    expect((await op.listVaults()).map((v) => v.name)).toEqual(['Personal']);
    await expect(
      op.createItem(personal, new ItemBuilder().setCategory(ItemCategory.Login).setTitle('no').build()),
    ).rejects.toMatchObject({ status: 403 });
    const wider = await toConnect(subject.access_token, 'Payments', { scope: `vault:${ops}:read` });
    expect(wider).toMatchObject({ status: 400, body: { error: 'invalid_scope' } });
  });

  it('refuses a server with nothing in common and an unknown server in the same words, naming no vault', async () => {
    const subject = await memberTokens(app, 'vault:read vault:write');
    const vacant = await toConnect(subject.access_token, 'Vacant');
    const unknown = await toConnect(subject.access_token, 'No such server');
    for (const [answer, name] of [
      [vacant, 'Vacant'],
      [unknown, 'No such server'],
    ] as const) {
      expect(answer.status).toBe(400);
      expect(answer.body.error).toBe('invalid_target');
      expect(answer.body.error_description).toBe(
        `Connect server "${name}": there is no such server, or it serves no vault this access token grants`,
      );
      expect(JSON.stringify(answer.body)).not.toContain(ops);
    }
  });

  it('refuses what a Connect token cannot be: for a non-vault token, with an actor, a resource, or no audience', async () => {
    const vault = await memberTokens(app, 'vault:read');
    const reports = await memberTokens(app, 'reports:read');
    const agentToken = await tokenRequest(agent, { grant_type: 'client_credentials', scope: 'reports:read' });
    const cases: [string, Promise<{ status: number; body: Record<string, unknown> }>, string][] = [
      ['a Reports token', toConnect(reports.access_token, 'Payments'), 'invalid_request'],
      ['no audience', toConnect(vault.access_token, undefined), 'invalid_request'],
      ['a resource', toConnect(vault.access_token, 'Payments', { resource: REPORTS }), 'invalid_target'],
      [
        'an actor token',
        toConnect(vault.access_token, 'Payments', {
          actor_token: agentToken.body.access_token as string,
          actor_token_type: ACCESS_TYPE,
        }),
        'invalid_request',
      ],
    ];
    for (const [what, pending, error] of cases) {
      const answer = await pending;
      expect(answer.status, what).toBe(400);
      expect(answer.body.error, what).toBe(error);
    }
  });

  it('stops when the grant ends any other way: refresh-token reuse, the user disabled, the client deleted, grant management, the user deleted', async () => {
    // Refresh-token reuse revokes the grant (RFC 9700 §4.14.2).
    const reused = await memberTokens(app, 'vault:read');
    const first = await toConnect(reused.access_token, 'Payments');
    const rotate = () =>
      tokenRequest(app, { grant_type: 'refresh_token', refresh_token: reused.refresh_token ?? '' });
    expect((await rotate()).status).toBe(200);
    expect((await sdk(first.body.access_token as string).listVaults()).length).toBeGreaterThan(0);
    expect((await rotate()).body.error).toBe('invalid_grant');
    await expect(sdk(first.body.access_token as string).listVaults()).rejects.toMatchObject({ status: 401 });

    // A disabled user: the grant stays (refused) until enabled again, the Connect token is revoked.
    const disabled = await memberTokens(app, 'vault:read');
    const second = await toConnect(disabled.access_token, 'Payments');
    expect((await sdk(second.body.access_token as string).listVaults()).length).toBeGreaterThan(0);
    await admin('POST', `/users/${member.id}/disable`);
    await expect(sdk(second.body.access_token as string).listVaults()).rejects.toMatchObject({ status: 401 });
    await admin('POST', `/users/${member.id}/enable`);

    // The client deleted: its grants go, and their Connect tokens with them.
    const doomed = await admin<Client>('POST', '/clients', {
      name: 'Doomed app',
      redirectUris: [REDIRECT],
      scopes: ['vault:read'],
      grantTypes: ['authorization_code', TOKEN_EXCHANGE],
    });
    const tokens = await memberTokens(doomed, 'vault:read');
    const third = await exchange(doomed, tokens.access_token, {
      requested_token_type: CONNECT_TYPE,
      audience: 'Payments',
    });
    expect((await sdk(third.body.access_token as string).listVaults()).length).toBeGreaterThan(0);
    await admin('DELETE', `/clients/${doomed.clientId}`);
    await expect(sdk(third.body.access_token as string).listVaults()).rejects.toMatchObject({ status: 401 });

    // The client revokes the user's grant itself (grant management).
    const managed = await memberTokens(app, 'vault:read');
    const fourth = await toConnect(managed.access_token, 'Payments');
    expect((await sdk(fourth.body.access_token as string).listVaults()).length).toBeGreaterThan(0);
    const deleted = await fetch(`${issuer}/grant-management/${managed.grant_id}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${managed.access_token}` },
    });
    expect(deleted.status).toBe(204);
    await expect(sdk(fourth.body.access_token as string).listVaults()).rejects.toMatchObject({ status: 401 });

    // The user deleted: the grants go by cascade, their Connect tokens are revoked first.
    const leaver = await admin<{ id: string; email: string }>('POST', '/users', {
      email: 'leaver@example.com',
      password: MEMBER_PASSWORD,
      role: 'member',
    });
    await admin('PUT', `/users/${leaver.id}/vaults/${personal}`, { permissions: ['read'] });
    const theirs = await userTokens(
      issuer,
      app,
      { email: leaver.email, password: MEMBER_PASSWORD },
      {
        scope: 'vault:read',
        redirectUri: REDIRECT,
      },
    );
    const fifth = await toConnect(theirs.access_token, 'Payments');
    expect((await sdk(fifth.body.access_token as string).listVaults()).map((v) => v.name)).toEqual([
      'Personal',
    ]);
    await admin('DELETE', `/users/${leaver.id}`);
    await expect(sdk(fifth.body.access_token as string).listVaults()).rejects.toMatchObject({ status: 401 });
  });
});
