import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { generateMasterKey } from '../../src/crypto/master-key.js';
import { initDataDir, type RunningService, startService } from '../../src/main.js';
import { OWNER_PASSWORD } from '../helpers/oauth.js';
import { type PostgresCluster, startPostgres } from '../helpers/postgres.js';

/**
 * Two central nodes on one PostgreSQL. Each serves the clients and resource servers the token and
 * introspection endpoints authenticate from memory (storage/cache/access-cache.ts); a secret
 * rotated, or a client or resource server deleted, through one node must stop working on the
 * other within a second (the change feed's bound), and a token revoked through one is inactive
 * on the other at once (tokens are never cached).
 */
let cluster: PostgresCluster;
let nodes: [RunningService, RunningService];
const dirs: string[] = [];
let accountId: string;
let adminToken: string;

beforeAll(async () => {
  cluster = await startPostgres();
  const env = {
    KEYHOLD_DATABASE_URL: await cluster.createDatabase(),
    KEYHOLD_MASTER_KEY: generateMasterKey(),
    KEYHOLD_PORT: '0',
    KEYHOLD_LOG_LEVEL: 'silent',
  };
  const configs = [0, 1].map(() => {
    const dir = mkdtempSync(join(tmpdir(), 'keyhold-oauth-cache-node-'));
    dirs.push(dir);
    return loadConfig({ ...env, KEYHOLD_DATA_DIR: dir });
  });
  const [first, second] = configs as [ReturnType<typeof loadConfig>, ReturnType<typeof loadConfig>];
  const init = await initDataDir(first, { ownerPassword: OWNER_PASSWORD });
  await init.storage.close();
  ({ accountId, adminToken } = init);
  const quiet = pino({ level: 'silent' });
  nodes = [await startService(first, quiet), await startService(second, quiet)];
}, 120_000);

afterAll(async () => {
  for (const node of nodes ?? []) await node.close();
  cluster?.stop();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

const admin = async <T>(node: RunningService, method: string, path: string, body?: unknown): Promise<T> => {
  const response = await fetch(`${node.url}/api/admin${path}`, {
    method,
    headers: {
      authorization: `Bearer ${adminToken}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  if (!response.ok) throw new Error(`${method} ${path} → ${response.status} ${await response.text()}`);
  return (response.status === 204 ? undefined : await response.json()) as T;
};
const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;
const post = async (node: RunningService, endpoint: string, body: string, authorization: string) => {
  const response = await fetch(`${node.url}/oauth/${accountId}/${endpoint}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization },
    body,
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
};
const issue = (node: RunningService, authorization: string) =>
  post(node, 'token', 'grant_type=client_credentials&scope=feeds%3Aread', authorization);
const introspect = (node: RunningService, token: string, authorization: string) =>
  post(node, 'introspect', `token=${token}`, authorization);

/** How long after `since` `check` first holds on `node`, polling; Infinity after 5 s. */
async function heldAfter(since: number, check: () => Promise<boolean>): Promise<number> {
  for (;;) {
    if (await check()) return Date.now() - since;
    if (Date.now() - since > 5000) return Number.POSITIVE_INFINITY;
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('the authorization server’s caches across central nodes', () => {
  it('refuses on node B a client secret rotated, a client and a resource server deleted through node A, and a revoked token at once', async () => {
    const [a, b] = nodes;
    const rs = await admin<{ id: string; secret: string }>(a, 'POST', '/resource-servers', {
      identifier: 'https://feeds.example.com',
      scopes: [{ name: 'feeds:read', description: 'Read feeds' }],
    });
    const client = await admin<{ clientId: string; clientSecret: string }>(a, 'POST', '/clients', {
      name: 'feeder',
      redirectUris: [],
      scopes: ['feeds:read'],
      grantTypes: ['client_credentials'],
    });
    const asOld = basic(client.clientId, client.clientSecret);
    const asServer = basic(rs.id, rs.secret);
    // Warm both nodes' caches: the client, and the resource server behind its secret.
    const tokens: string[] = [];
    for (const node of [a, b, a, b]) {
      const issued = await issue(node, asOld);
      expect(issued.status).toBe(200);
      tokens.push(String(issued.body.access_token));
    }
    for (const node of [a, b])
      expect((await introspect(node, tokens[0] as string, asServer)).body.active).toBe(true);

    // A token revoked through A is inactive on B at its next introspection: tokens are read, not kept.
    const revoked = await post(a, 'revoke', `token=${tokens[1]}`, asOld);
    expect(revoked.status).toBe(200);
    expect((await introspect(b, tokens[1] as string, asServer)).body).toEqual({ active: false });

    const rotated = await admin<{ clientSecret: string }>(a, 'POST', `/clients/${client.clientId}/secret`);
    const rotatedAt = Date.now();
    // On the node that rotated it, the old secret is refused at once.
    expect((await issue(a, asOld)).status).toBe(401);
    const onB = await heldAfter(rotatedAt, async () => (await issue(b, asOld)).status === 401);
    console.log(`a client secret rotated through A was refused on B after ${onB} ms`);
    expect(onB).toBeLessThan(1000);
    const refused = await issue(b, asOld);
    expect(refused.body.error).toBe('invalid_client');
    const asNew = basic(client.clientId, rotated.clientSecret);
    expect((await issue(b, asNew)).status).toBe(200);
    expect((await issue(a, asNew)).status).toBe(200);

    // A resource server is deleted once no client may request its scopes.
    await admin(a, 'DELETE', `/clients/${client.clientId}`);
    const clientGone = await heldAfter(Date.now(), async () => (await issue(b, asNew)).status === 401);
    expect(clientGone).toBeLessThan(1000);
    expect((await introspect(b, tokens[0] as string, asServer)).body).toEqual({ active: false });

    await admin(a, 'DELETE', `/resource-servers/${rs.id}`);
    const deletedAt = Date.now();
    const gone = await heldAfter(
      deletedAt,
      async () => (await introspect(b, tokens[0] as string, asServer)).status === 401,
    );
    console.log(`a resource server deleted through A was refused on B after ${gone} ms`);
    expect(gone).toBeLessThan(1000);
  });
});
