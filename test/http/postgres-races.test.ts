import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Keyring } from '../../src/crypto/keyring.js';
import { buildApp } from '../../src/http/app.js';
import { buildServices, type Services } from '../../src/services.js';
import { openPostgres } from '../../src/storage/postgres/open.js';
import { client, TEST_PUBLIC_URL } from '../helpers/app.js';
import { type PostgresCluster, startPostgres } from '../helpers/postgres.js';
import { type StorageApp, startAppOn } from '../helpers/storage-app.js';

/**
 * Two central nodes on one PostgreSQL database (each its own pool, services and access cache,
 * the master key shared), driven through the admin API: a create on one node racing the deletion
 * of what it refers to on the other. Whichever commits first, the create answers 201, 404 or 409
 * (try again, and meet the deletion), never a 500.
 */
describe('a create on one node racing a deletion on another', () => {
  let cluster: PostgresCluster;
  let a: StorageApp;
  let b: { app: FastifyInstance; services: Services };
  const bLogs: string[] = [];

  beforeAll(async () => {
    cluster = await startPostgres();
    const url = await cluster.createDatabase();
    a = await startAppOn(await openPostgres(url));
    // startAppOn's master key: the same on every node.
    const services = buildServices(await openPostgres(url), new Keyring(Buffer.alloc(32, 9)), {
      publicUrl: () => TEST_PUBLIC_URL,
    });
    const app = buildApp({
      services,
      logger: pino({ level: 'info' }, { write: (line: string) => void bLogs.push(line) }),
      limits: { json: 1024 * 1024, file: 1024 * 1024, inlineFile: 100 * 1024 },
    });
    await app.ready();
    b = { app, services };
  }, 120_000);
  afterAll(async () => {
    await b?.app.close();
    await b?.services.refusals.close();
    await b?.services.storage.close();
    await a?.close();
    cluster?.stop();
  });

  const faults = () => [...a.logs, ...bLogs].map((l) => JSON.parse(l)).filter((l) => l.level >= 50);

  it('answers a token, a server or an item whose server or vault went meanwhile 201, 404 or 409', async () => {
    const onA = client(a.app, a.token);
    const onB = client(b.app, a.token);
    const seen: Record<string, number> = {};
    const note = (what: string, status: number) => {
      seen[`${what} ${status}`] = (seen[`${what} ${status}`] ?? 0) + 1;
      expect([201, 404, 409], `${what}: ${status}`).toContain(status);
    };
    for (let i = 0; i < 15; i++) {
      const vaultId = (await onA.post('/vaults', { name: `v${i}` })).json().id;
      const serverId = (await onA.post('/servers', { name: `s${i}`, vaults: [vaultId] })).json().id;
      const [token, serverGone] = await Promise.all([
        onA.post(`/servers/${serverId}/tokens`, { name: 't', vaults: [{ vaultId, permissions: ['read'] }] }),
        onB.delete(`/servers/${serverId}`),
      ]);
      expect(serverGone.statusCode).toBe(204);
      note('token', token.statusCode);
      const [item, server, vaultGone] = await Promise.all([
        onA.post(`/vaults/${vaultId}/items`, {
          title: 't',
          category: 'LOGIN',
          fields: [{ purpose: 'PASSWORD', value: 'x' }],
        }),
        onA.post('/servers', { name: `x${i}`, vaults: [vaultId] }),
        onB.delete(`/vaults/${vaultId}`),
      ]);
      expect(vaultGone.statusCode).toBe(204);
      note('item', item.statusCode);
      note('server', server.statusCode === 400 ? 404 : server.statusCode); // 400: "no such vault"
    }
    console.log(seen);
    expect(faults()).toEqual([]);
  }, 120_000);
});
