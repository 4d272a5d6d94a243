import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { generateMasterKey } from '../../src/crypto/master-key.js';
import { initDataDir, type RunningService, startService } from '../../src/main.js';
import { OWNER_PASSWORD } from '../helpers/oauth.js';
import { type PostgresCluster, startPostgres } from '../helpers/postgres.js';

/**
 * Two central nodes on one PostgreSQL behind one public URL, as a load balancer runs them: a
 * DPoP nonce handed out by one node is accepted by the other (stateless, keyed from the shared
 * master key), and a proof used on one node is refused as a replay on the other (used `jti`s
 * are in the database).
 */
const PUBLIC_URL = 'https://keyhold.example.com';
let cluster: PostgresCluster;
let nodes: RunningService[] = [];
const dirs: string[] = [];
let accountId: string;
let machine: { clientId: string; clientSecret: string };

beforeAll(async () => {
  cluster = await startPostgres();
  const env = {
    KEYHOLD_DATABASE_URL: await cluster.createDatabase(),
    KEYHOLD_MASTER_KEY: generateMasterKey(),
    KEYHOLD_PUBLIC_URL: PUBLIC_URL,
    KEYHOLD_PORT: '0',
    KEYHOLD_LOG_LEVEL: 'silent',
  };
  const configs = [0, 1].map(() => {
    const dir = mkdtempSync(join(tmpdir(), 'keyhold-dpop-node-'));
    dirs.push(dir);
    return loadConfig({ ...env, KEYHOLD_DATA_DIR: dir });
  });
  const [first, second] = configs as [ReturnType<typeof loadConfig>, ReturnType<typeof loadConfig>];
  const init = await initDataDir(first, { ownerPassword: OWNER_PASSWORD });
  await init.storage.close();
  accountId = init.accountId;
  const quiet = pino({ level: 'silent' });
  nodes = [await startService(first, quiet), await startService(second, quiet)];
  const admin = async <T>(path: string, body: unknown): Promise<T> => {
    const response = await fetch(`${nodes[0]?.url}/api/admin${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${init.adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    if (!response.ok) throw new Error(`${path} → ${response.status} ${await response.text()}`);
    return (await response.json()) as T;
  };
  await admin('/resource-servers', {
    identifier: 'https://reports.example.com',
    name: 'Reports',
    scopes: [{ name: 'reports:read', description: 'Read reports' }],
  });
  machine = await admin('/clients', {
    name: 'cron',
    redirectUris: [],
    scopes: ['reports:read'],
    grantTypes: ['client_credentials'],
  });
}, 120_000);

afterAll(async () => {
  for (const node of nodes) await node.close();
  cluster?.stop();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe('DPoP across central nodes', () => {
  it('takes one node’s nonce on the other, and refuses there a proof the first one took', async () => {
    const [a, b] = nodes as [RunningService, RunningService];
    // The proof names the public URL: both nodes answer for it.
    const htu = `${PUBLIC_URL}/oauth/${accountId}/token`;
    const { privateKey, publicKey } = await generateKeyPair('ES256');
    const jwk = await exportJWK(publicKey);
    const proof = (nonce?: string) =>
      new SignJWT({
        htm: 'POST',
        htu,
        iat: Math.floor(Date.now() / 1000),
        jti: randomUUID(),
        ...(nonce === undefined ? {} : { nonce }),
      })
        .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk })
        .sign(privateKey);
    const request = (node: RunningService, dpop: string) =>
      fetch(`${node.url}/oauth/${accountId}/token`, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          authorization: `Basic ${Buffer.from(`${machine.clientId}:${machine.clientSecret}`).toString('base64')}`,
          dpop,
        },
        body: 'grant_type=client_credentials',
      });

    const asked = await request(a, await proof());
    expect(asked.status).toBe(400);
    expect(await asked.json()).toMatchObject({ error: 'use_dpop_nonce' });
    const nonce = asked.headers.get('dpop-nonce') ?? '';

    const once = await proof(nonce);
    const onB = await request(b, once);
    expect(onB.status).toBe(200);
    expect(await onB.json()).toMatchObject({ token_type: 'DPoP' });
    const replayedOnA = await request(a, once);
    expect(replayedOnA.status).toBe(400);
    expect(await replayedOnA.json()).toEqual({
      error: 'invalid_dpop_proof',
      error_description: 'the DPoP proof was already used: make a new proof for every request',
    });
  });
});
