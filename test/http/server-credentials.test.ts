import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '../../src/crypto/ids.js';
import { hashSecret, newBearerSecret } from '../../src/crypto/secrets.js';
import {
  importServerPrivateKey,
  type ServerPrivateJwk,
  unwrapVaultKey,
} from '../../src/crypto/server-key.js';
import { listenLocally, startTestApp, type TestApp } from '../helpers/app.js';
import { adminSetup } from '../helpers/connect-app.js';
import { openStream } from '../helpers/sse.js';

/** `POST /api/admin/servers/:id/credentials` (`keyhold server credentials`): new secret and key pair. */
let t: TestApp;
let base: string;
let setup: ReturnType<typeof adminSetup>;

beforeAll(async () => {
  t = await startTestApp();
  base = await listenLocally(t);
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
      credentials: { version: number; serverSecret: string; serverKey: ServerPrivateJwk; replicaKey: string };
    };
    expect(credentials.version).toBe(2);
    expect(Buffer.from(credentials.replicaKey, 'base64url')).toHaveLength(32);
    expect((await openStream(base, oldSecret)).status).toBe(401);
    const s = await openStream(base, credentials.serverSecret);
    expect(s.status).toBe(200);
    await s.waitFor((r) => r.type === 'mark');
    // The vault's key is sent wrapped to the new key pair: the file's private half opens it.
    const vaultKeyIn = async (records: typeof s.records, key: ServerPrivateJwk) => {
      const sent = records.find((r) => r.type === 'vault' && r.vault.id === vault);
      if (sent?.type !== 'vault') throw new Error('the vault was not sent');
      return unwrapVaultKey(await importServerPrivateKey(key), sent.vault, sent.vault.key);
    };
    const row = await t.storage.vaults.get(t.accountId, vault);
    if (!row) throw new Error('no vault');
    expect((await vaultKeyIn(s.records, credentials.serverKey)).equals(t.keyring.vaultKey(row))).toBe(true);
    // Centrally only the public half is kept: the new key's, without its private member.
    const stored = await t.storage.connectServers.findById(id);
    const { d, ...publicHalf } = credentials.serverKey;
    expect(JSON.parse(stored?.publicKey ?? 'null')).toEqual(publicHalf);
    expect(stored?.publicKey).not.toContain(d);

    // Re-issue again: the stream opened with the now old secret ends.
    const again = await setup.api.post(`/servers/${id}/credentials`);
    expect(again.statusCode).toBe(201);
    await s.closed;
    expect((await openStream(base, credentials.serverSecret)).status).toBe(401);
    // A new key pair too: the previous file's private half no longer opens what is sent.
    const newest = (again.json() as { credentials: typeof credentials }).credentials;
    const s2 = await openStream(base, newest.serverSecret);
    await s2.waitFor((r) => r.type === 'mark');
    s2.close();
    await expect(vaultKeyIn(s2.records, credentials.serverKey)).rejects.toMatchObject({
      code: 'integrity_error',
    });
    expect((await vaultKeyIn(s2.records, newest.serverKey)).equals(t.keyring.vaultKey(row))).toBe(true);

    // Each re-issue is audited as an UPDATE of the server.
    const audit = await setup.api.get(`/audit?resource=${id}&resourceType=SERVER&action=UPDATE`);
    expect(audit.statusCode).toBe(200);
    const events = audit.json() as { resourceId: string; action: string; result: string }[];
    expect(events.map((e) => [e.resourceId, e.action, e.result])).toEqual([
      [id, 'UPDATE', 'SUCCESS'],
      [id, 'UPDATE', 'SUCCESS'],
    ]);
  });

  it('refuses a body with options, and an unknown server', async () => {
    expect((await setup.api.post(`/servers/${newId()}/credentials`, {})).statusCode).toBe(404);
    const id = (await setup.server([])).id;
    expect((await setup.api.post(`/servers/${id}/credentials`, { x: 1 })).statusCode).toBe(400);
  });
});
