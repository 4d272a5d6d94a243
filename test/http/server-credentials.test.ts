import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '../../src/crypto/ids.js';
import { hashSecret, newBearerSecret } from '../../src/crypto/secrets.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { adminSetup } from '../helpers/connect-app.js';
import { openStream } from '../helpers/sse.js';

/** `POST /api/admin/servers/:id/credentials` (`keyhold server credentials`): new secret and key pair. */
let t: TestApp;
let base: string;
let setup: ReturnType<typeof adminSetup>;

beforeAll(async () => {
  t = await startTestApp();
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  const address = t.app.server.address();
  if (!address || typeof address === 'string') throw new Error('no port');
  base = `http://127.0.0.1:${address.port}`;
  setup = adminSetup(t);
});
afterAll(async () => {
  await t.close();
});

describe('new server credentials', () => {
  it('gives a server made before key pairs a v2 file; the old secret stops at once, an open stream on it ends', async () => {
    const vault = (await setup.vault('Production')).id;
    const oldSecret = newBearerSecret('khsrv');
    const id = newId();
    await t.storage.connectServers.insert(
      {
        id,
        accountId: t.accountId,
        name: 'old',
        secretHash: hashSecret(oldSecret),
        createdAt: new Date().toISOString(),
        publicKey: null,
      },
      [vault],
    );
    expect((await openStream(base, oldSecret)).status).toBe(409);

    const res = await setup.api.post(`/servers/${id}/credentials`, {});
    expect(res.statusCode).toBe(201);
    const { credentials } = res.json() as {
      credentials: { version: number; serverSecret: string; serverKey: { d: string } };
    };
    expect(credentials.version).toBe(2);
    expect(credentials.serverKey.d).toBeTruthy();
    expect((await openStream(base, oldSecret)).status).toBe(401);
    const s = await openStream(base, credentials.serverSecret);
    expect(s.status).toBe(200);
    await s.waitFor((r) => r.type === 'mark');
    expect(s.records.some((r) => r.type === 'vault' && r.vault.id === vault)).toBe(true);
    // The private half is nowhere centrally.
    const stored = await t.storage.connectServers.findById(id);
    expect(stored?.publicKey).not.toContain(credentials.serverKey.d);

    // Re-issue again: the stream opened with the now old secret ends.
    const again = await setup.api.post(`/servers/${id}/credentials`);
    expect(again.statusCode).toBe(201);
    await s.closed;
    expect((await openStream(base, credentials.serverSecret)).status).toBe(401);

    const audit = await setup.api.get(`/audit?resourceType=SERVER`);
    expect(audit.body).toContain(id);
  });

  it('refuses a body with options, and an unknown server', async () => {
    expect((await setup.api.post(`/servers/${newId()}/credentials`, {})).statusCode).toBe(404);
    const id = (await setup.server([])).id;
    expect((await setup.api.post(`/servers/${id}/credentials`, { x: 1 })).statusCode).toBe(400);
  });
});
