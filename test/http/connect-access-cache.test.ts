import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { adminSetup, connectAppFor, type InjectableConnect } from '../helpers/connect-app.js';

/**
 * Token registrations, server vault sets, vaults and server credentials are served from memory
 * between access changes (src/storage/cache). Each test here warms that cache with successful
 * reads of an item — the hot path — then makes one access-changing write through the admin API
 * and expects the very next request to be refused exactly as it would be without a cache. The
 * item views read lately are kept too (sealed), and every item write empties them: a read
 * started after a write is answered shows it, with reads and writes in flight together.
 */
let t: TestApp;
let setup: ReturnType<typeof adminSetup>;
const SECRET = 'cached-access-secret';

beforeAll(async () => {
  t = await startTestApp();
  setup = adminSetup(t);
});
afterAll(() => t.close());

/** A fresh vault with one item, a server on it, a read token, and that server's Connect app. */
interface Scene {
  vault: string;
  item: string;
  server: string;
  serverSecret: string;
  token: { id: string; token: string };
  connect: InjectableConnect;
  read(): Promise<{ statusCode: number; body: string; json(): { message?: string } }>;
}

let scene: Scene;
let apps: InjectableConnect[] = [];

async function makeScene(s: ReturnType<typeof adminSetup>): Promise<Scene> {
  const vault = (await s.vault('cached')).id;
  const item = (await s.item(vault, { title: 'db', fields: [{ purpose: 'PASSWORD', value: SECRET }] })).id;
  const created = (await s.server([vault], 'cached')) as {
    id: string;
    credentials?: { serverSecret: string };
  };
  const token = await s.token(created.id, [{ vaultId: vault, permissions: ['read'] }]);
  const connect = await connectAppFor(t, created.id);
  apps.push(connect);
  const read = () =>
    connect.inject({
      url: `/v1/vaults/${vault}/items/${item}`,
      headers: { authorization: `Bearer ${token.token}` },
    });
  return {
    vault,
    item,
    server: created.id,
    serverSecret: created.credentials?.serverSecret as string,
    token,
    connect,
    read,
  };
}

/** Reads the item successfully a few times, so every cache on its path holds an entry. */
async function warm(s: Scene) {
  for (let i = 0; i < 3; i++) {
    const res = await s.read();
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain(SECRET);
  }
}

const ok = async (res: Promise<{ statusCode: number; body: string }>, status = 204) => {
  const r = await res;
  expect(r.statusCode, r.body).toBe(status);
};

beforeEach(async () => {
  scene = await makeScene(setup);
  await warm(scene);
});
afterAll(async () => {
  for (const app of apps) await app.close();
  apps = [];
});

describe('a warm cache never outlives an access change', () => {
  it('a revoked token is refused at its next request', async () => {
    await ok(setup.api.delete(`/tokens/${scene.token.id}`));
    const res = await scene.read();
    expect(res.statusCode).toBe(401);
    expect(res.json().message).toBe('Invalid token: the token has been revoked');
    expect(res.body).not.toContain(SECRET);
  });

  it("a deleted server's token is refused at its next request", async () => {
    await ok(setup.api.delete(`/servers/${scene.server}`));
    const res = await scene.read();
    expect(res.statusCode).toBe(401);
    expect(res.json().message).toBe('Invalid token: not issued for this server');
    expect(res.body).not.toContain(SECRET);
  });

  it('a vault removed from the server is refused at the next request', async () => {
    const other = (await setup.vault('keeps the server non-empty')).id;
    await ok(setup.api.patch(`/servers/${scene.server}`, { addVaults: [other] }), 200);
    await warm(scene);
    await ok(setup.api.patch(`/servers/${scene.server}`, { removeVaults: [scene.vault] }), 200);
    const res = await scene.read();
    expect(res.statusCode).toBe(403);
    expect(res.json().message).toBe(`vault ${scene.vault} is not in scope`);
    expect(res.body).not.toContain(SECRET);
  });

  it('a deleted vault is not found at the next request', async () => {
    await ok(setup.api.delete(`/vaults/${scene.vault}`));
    const res = await scene.read();
    expect(res.statusCode).toBe(404);
    expect(res.json().message).toBe(`vault ${scene.vault} not found`);
    expect(res.body).not.toContain(SECRET);
  });

  it("a deleted account's token is refused at its next request", async () => {
    const account = (await setup.api.post('/accounts', { name: 'short-lived' })).json();
    const own = await makeScene(adminSetup(t, account.adminToken));
    await warm(own);
    await ok(setup.api.delete(`/accounts/${account.id}`));
    const res = await own.read();
    expect(res.statusCode).toBe(401);
    expect(res.body).not.toContain(SECRET);
  });

  it("a deleted server's credentials are refused at the next RPC call", async () => {
    const rpc = () =>
      t.app.inject({
        method: 'POST',
        url: '/api/connect-server/v1/rpc/getItem',
        headers: { authorization: `Bearer ${scene.serverSecret}` },
        payload: {
          call: { token: scene.token.token, requestId: 'r', ip: null, userAgent: null },
          args: [scene.vault, scene.item],
        },
      });
    for (let i = 0; i < 3; i++) expect((await rpc()).statusCode).toBe(200);
    await ok(setup.api.delete(`/servers/${scene.server}`));
    const res = await rpc();
    expect(res.statusCode).toBe(401);
    expect(res.json().message).toBe('Invalid Connect server credentials');
    expect(res.body).not.toContain(SECRET);
  });
});

describe('the item views kept in memory (storage/cache/item-views.ts) never outlive a write', () => {
  const title = (res: { json(): unknown }) => (res.json() as { title?: string }).title;
  const itemPath = () => `/vaults/${scene.vault}/items/${scene.item}`;

  it('every read started after a write is answered shows it, with reads and writes in flight together', async () => {
    let current = (await setup.api.get(itemPath())).json() as Record<string, unknown>;
    for (let n = 1; n <= 15; n++) {
      const before = Promise.all(Array.from({ length: 8 }, () => scene.read()));
      const written = await setup.api.put(itemPath(), { ...current, title: `title ${n}` });
      expect(written.statusCode, written.body).toBe(200);
      current = written.json();
      // Started once the write was answered: the new title, and only it.
      const after = await Promise.all(Array.from({ length: 8 }, () => scene.read()));
      expect(after.map(title)).toEqual(Array(8).fill(`title ${n}`));
      // In flight across the write: the one before it or the one it made, whole.
      for (const res of await before) {
        expect(res.statusCode).toBe(200);
        expect([n === 1 ? 'db' : `title ${n - 1}`, `title ${n}`]).toContain(title(res));
        expect(res.body).toContain(SECRET);
      }
    }
  });

  it('an item trashed, brought back and deleted is answered so at the next read', async () => {
    await ok(setup.api.delete(itemPath()));
    expect((await scene.read()).statusCode).toBe(404);
    await ok(setup.api.post(`/vaults/${scene.vault}/trash/${scene.item}/undelete`), 200);
    expect(title(await scene.read())).toBe('db');
    await ok(setup.api.delete(itemPath()));
    await ok(setup.api.delete(`/vaults/${scene.vault}/trash/${scene.item}`));
    const gone = await scene.read();
    expect(gone.statusCode).toBe(404);
    expect(gone.body).not.toContain(SECRET);
  });
});
