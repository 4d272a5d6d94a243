import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Keyring } from '../../src/crypto/keyring.js';
import { buildApp } from '../../src/http/app.js';
import { buildServices, type Services } from '../../src/services.js';
import { openPostgres } from '../../src/storage/postgres/open.js';
import { client, TEST_PUBLIC_URL } from '../helpers/app.js';
import { type PostgresCluster, startPostgres } from '../helpers/postgres.js';
import { openStream } from '../helpers/sse.js';
import { type StorageApp, startAppOn } from '../helpers/storage-app.js';

/** Two central nodes on one PostgreSQL database: a write on A reaches a stream served by B within 1 s. */
describe('replica stream across two PostgreSQL central nodes', () => {
  let cluster: PostgresCluster;
  let a: StorageApp;
  let b: { app: FastifyInstance; services: Services };
  let baseB: string;

  beforeAll(async () => {
    cluster = await startPostgres();
    const url = await cluster.createDatabase();
    a = await startAppOn(await openPostgres(url));
    const services = buildServices(await openPostgres(url), new Keyring(Buffer.alloc(32, 9)), {
      publicUrl: () => TEST_PUBLIC_URL,
    });
    const app = buildApp({
      services,
      logger: pino({ level: 'silent' }),
      limits: { json: 1024 * 1024, file: 1024 * 1024, inlineFile: 100 * 1024 },
    });
    await app.listen({ port: 0, host: '127.0.0.1' });
    const address = app.server.address();
    if (!address || typeof address === 'string') throw new Error('no port');
    baseB = `http://127.0.0.1:${address.port}`;
    b = { app, services };
  }, 120_000);
  afterAll(async () => {
    await b?.app.close();
    await b?.services.refusals.close();
    await b?.services.storage.close();
    await a?.close();
    cluster?.stop();
  });

  it('an item write and a token revoke on node A reach a stream on node B within 1 s', async () => {
    const onA = client(a.app, a.token);
    const vault = (await onA.post('/vaults', { name: 'Production' })).json().id as string;
    const server = (await onA.post('/servers', { name: 's', vaults: [vault] })).json() as {
      id: string;
      credentials: { serverSecret: string };
    };
    const s = await openStream(baseB, server.credentials.serverSecret);
    expect(s.status).toBe(200);
    await s.waitFor((r) => r.type === 'mark');
    const latencies: number[] = [];
    for (let i = 0; i < 5; i++) {
      const from = s.records.length;
      const start = performance.now();
      const res = await onA.post(`/vaults/${vault}/items`, {
        title: `item ${i}`,
        category: 'LOGIN',
        fields: [{ label: 'password', value: 'p', type: 'CONCEALED' }],
      });
      expect(res.statusCode).toBe(201);
      const id = res.json().id as string;
      const { at } = await s.waitFor((r) => r.type === 'item' && r.item.id === id, 2000, from);
      latencies.push(at - start);
    }
    const token = (
      await onA.post(`/servers/${server.id}/tokens`, {
        name: 't',
        vaults: [{ vaultId: vault, permissions: ['read'] }],
      })
    ).json() as { id: string };
    await s.waitFor((r) => r.type === 'token' && r.token.id === token.id, 2000);
    const from = s.records.length;
    const start = performance.now();
    expect((await onA.delete(`/tokens/${token.id}`)).statusCode).toBe(204);
    const revoked = await s.waitFor((r) => r.type === 'token' && r.token.revokedAt !== null, 2000, from);
    console.log(
      `A → stream on B: item writes ${latencies.map((l) => l.toFixed(1)).join(', ')} ms; revoke ${(revoked.at - start).toFixed(1)} ms`,
    );
    expect(Math.max(...latencies)).toBeLessThan(1000);
    expect(revoked.at - start).toBeLessThan(1000);
    s.close();
  });
});
