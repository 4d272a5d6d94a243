import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateMasterKey } from '../../src/crypto/master-key.js';
import { adminApi, adminJson } from '../helpers/admin-http.js';
import { type PostgresCluster, startPostgres } from '../helpers/postgres.js';
import { cleanup, runCli, type Server, startServer, tempDataDir } from '../helpers/processes.js';

/**
 * Three `keyhold serve` nodes on one PostgreSQL database, as docs/deploying.md runs them: A and C
 * also host the Connect server of one credentials file; B is the plain central node the tests
 * write through and then kill.
 */
let cluster: PostgresCluster;
let nodes: { a: Server; b: Server; c: Server };
let adminToken: string;
let accountId: string;
let vaultId: string;
let tokenId: string;
let connectToken: string;

const admin = <T = unknown>(node: Server, method: string, path: string, body?: unknown): Promise<T> =>
  adminJson(node, adminToken)<T>(method, path, body);

const connectUrl = (node: Server) => (node.ready.connectUrls as string[])[0] as string;
const connectGet = (node: Server, path: string) =>
  fetch(`${connectUrl(node)}${path}`, { headers: { authorization: `Bearer ${connectToken}` } });

beforeAll(async () => {
  cluster = await startPostgres();
  const url = await cluster.createDatabase();
  const dir = tempDataDir();
  const key = join(dir, 'master.key');
  writeFileSync(key, `${generateMasterKey()}\n`, { mode: 0o600 });
  const shared = ['--database-url', url, '--master-key-file', key];
  const init = await runCli(['init', ...shared, '--json'], { timeoutMs: 60_000 });
  if (init.code !== 0) throw new Error(init.stderr);
  ({ adminToken, accountId } = JSON.parse(init.stdout) as { adminToken: string; accountId: string });

  const b = await startServer(tempDataDir(), { extraArgs: shared });
  vaultId = (await admin<{ id: string }>(b, 'POST', '/vaults', { name: 'shared' })).id;
  const server = await admin<{ id: string; credentials: unknown }>(b, 'POST', '/servers', {
    name: 'edge',
    vaults: [vaultId],
  });
  const credentialsFile = join(dir, 'credentials.json');
  writeFileSync(credentialsFile, JSON.stringify(server.credentials), { mode: 0o600 });
  const issued = await admin<{ id: string; token: string }>(b, 'POST', `/servers/${server.id}/tokens`, {
    name: 'app',
    vaults: [{ vaultId, permissions: ['read', 'write'] }],
  });
  ({ id: tokenId, token: connectToken } = issued);
  const withConnect = [...shared, '--connect', `${credentialsFile}:0`];
  const [a, c] = await Promise.all([
    startServer(tempDataDir(), { extraArgs: withConnect }),
    startServer(tempDataDir(), { extraArgs: withConnect }),
  ]);
  nodes = { a, b, c };
}, 120_000);

afterAll(async () => {
  await cleanup();
  cluster?.stop();
});

const item = (title: string) => ({
  title,
  category: 'LOGIN',
  fields: [
    { purpose: 'USERNAME', value: 'app' },
    { purpose: 'PASSWORD', value: `pw-${title}` },
  ],
});

describe('three central nodes on one PostgreSQL', () => {
  it('reads on node C what was written on node A, through the admin API and C’s Connect listener', async () => {
    const { a, c } = nodes;
    const written = await admin<{ id: string; version: number }>(
      a,
      'POST',
      `/vaults/${vaultId}/items`,
      item('on-a'),
    );
    const read = await admin<{ title: string; fields: { value?: string }[] }>(
      c,
      'GET',
      `/vaults/${vaultId}/items/${written.id}`,
    );
    expect(read.title).toBe('on-a');
    expect(read.fields.map((f) => f.value)).toContain('pw-on-a');
    const viaConnect = await connectGet(c, `/v1/vaults/${vaultId}/items/${written.id}`);
    expect(viaConnect.status).toBe(200);
    expect(((await viaConnect.json()) as { title: string }).title).toBe('on-a');
  });

  it('counts failed sign-ins across nodes: five failures spread over A, B and C lock the email on every node', async () => {
    const { a, b, c } = nodes;
    const user = await admin<{ email: string }>(b, 'POST', '/users', {
      email: `spread-${Date.now()}@example.com`,
      password: 'a right password for this test',
    });
    // The form is taken from A and posted to every node: its CSRF check is a double-submit
    // cookie, so a load balancer may send the two requests to different nodes.
    const page = await fetch(`${a.url}/oauth/${accountId}/login`);
    const csrf = /name="csrf" value="([^"]+)"/.exec(await page.text())?.[1] ?? '';
    const cookie = page.headers
      .getSetCookie()
      .map((v) => v.split(';')[0])
      .join('; ');
    const signIn = (node: Server, password: string) =>
      fetch(`${node.url}/oauth/${accountId}/login`, {
        method: 'POST',
        redirect: 'manual',
        headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ csrf, email: user.email, password }).toString(),
      });
    const statuses: number[] = [];
    for (const node of [a, b, c, a, b]) statuses.push((await signIn(node, 'wrong password, sorry')).status);
    expect(statuses).toEqual([401, 401, 401, 401, 401]);
    // Each node saw at most two of them; only a count kept in the database refuses the next one.
    for (const node of [c, a]) {
      const locked = await signIn(node, 'a right password for this test');
      expect(locked.status).toBe(429);
      expect(Number(locked.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    }
  });

  it('refuses a token revoked through node B on the Connect listeners of A and C within 1 s', async () => {
    const { a, b, c } = nodes;
    const path = `/v1/vaults/${vaultId}/items`;
    // Warm: both listeners have the token's registration in their access caches.
    for (const node of [a, c])
      for (let i = 0; i < 3; i++) expect((await connectGet(node, path)).status).toBe(200);
    await admin(b, 'DELETE', `/tokens/${tokenId}`);
    const revokedAt = Date.now();
    const refusedAfter = async (node: Server) => {
      for (;;) {
        const status = (await connectGet(node, path)).status;
        if (status === 401) return Date.now() - revokedAt;
        expect(status).toBe(200);
        if (Date.now() - revokedAt > 5000) return Number.POSITIVE_INFINITY;
        await new Promise((r) => setTimeout(r, 20));
      }
    };
    const [onA, onC] = await Promise.all([refusedAfter(a), refusedAfter(c)]);
    console.log(`revocation through B refused on A after ${onA} ms, on C after ${onC} ms`);
    expect(onA).toBeLessThan(1000);
    expect(onC).toBeLessThan(1000);
  });

  it('loses no acknowledged write when node B is SIGKILLed under load, and fails no request but those in flight on B', async () => {
    const all = [nodes.a, nodes.b, nodes.c];
    const acknowledged = new Map<string, string>();
    const failures: string[] = [];
    /** Requests B took and never answered (in flight when it died), or refused once dead. */
    let failedOnB = 0;
    let bDead = false;
    let turn = 0;
    let stop = false;

    /** Sends to the next node in turn; on a connection failure, to the next one after it. */
    const send = async (method: string, path: string, body?: unknown): Promise<unknown> => {
      const first = turn++;
      for (let attempt = 0; attempt < all.length; attempt++) {
        const node = all[(first + attempt) % all.length] as Server;
        let response: Response;
        try {
          response = await adminApi(node, adminToken)(method, path, body);
        } catch (error) {
          if (node === nodes.b && bDead) {
            failedOnB++;
            continue;
          }
          failures.push(`${method} ${path} on ${node.url}: ${(error as Error).message}`);
          return undefined;
        }
        const text = await response.text();
        if (!response.ok) {
          failures.push(`${method} ${path} on ${node.url}: ${response.status} ${text}`);
          return undefined;
        }
        return JSON.parse(text);
      }
      failures.push(`${method} ${path}: no node answered`);
      return undefined;
    };

    const worker = async (w: number) => {
      for (let n = 0; !stop; n++) {
        const title = `load-${w}-${n}`;
        const created = (await send('POST', `/vaults/${vaultId}/items`, item(title))) as
          | { id: string }
          | undefined;
        if (created) acknowledged.set(created.id, title);
        const known = [...acknowledged.keys()];
        const some = known[Math.floor(Math.random() * known.length)];
        if (some) {
          const read = (await send('GET', `/vaults/${vaultId}/items/${some}`)) as
            | { title: string }
            | undefined;
          if (read && read.title !== acknowledged.get(some))
            failures.push(`read ${some}: title ${read.title}, expected ${acknowledged.get(some)}`);
        }
      }
    };
    const workers = Array.from({ length: 6 }, (_, w) => worker(w));
    await new Promise((r) => setTimeout(r, 2000));
    bDead = true;
    await nodes.b.kill();
    await new Promise((r) => setTimeout(r, 3000));
    stop = true;
    await Promise.all(workers);

    console.log(
      `${acknowledged.size} writes acknowledged; ${failedOnB} requests failed on B after its SIGKILL and were retried elsewhere`,
    );
    expect(failures).toEqual([]);
    // B was in the rotation when it died: its failures were met, and retried on another node.
    expect(failedOnB).toBeGreaterThan(0);
    expect(acknowledged.size).toBeGreaterThan(20);
    const summaries = await admin<{ id: string; title: string }[]>(
      nodes.c,
      'GET',
      `/vaults/${vaultId}/items`,
    );
    const stored = new Map(summaries.map((s) => [s.id, s.title]));
    for (const [id, title] of acknowledged) expect(stored.get(id), id).toBe(title);
  });
});
