import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { client, startTestApp, type TestApp } from '../helpers/app.js';
import { adminSetup, connectAppFor, type InjectableConnect } from '../helpers/connect-app.js';

/** Restoring a version, and the vault's trash: the admin API, its audit events, and Connect. */
let t: TestApp;
let api: ReturnType<typeof client>;
let vault: string;
beforeEach(async () => {
  t = await startTestApp();
  api = client(t.app, t.token);
  vault = (await api.post('/vaults', { name: 'Production' })).json().id;
});
afterEach(() => t.close());

const login = (password: string, title = 'Database') => ({
  title,
  category: 'LOGIN',
  fields: [
    { id: 'username', label: 'username', purpose: 'USERNAME', value: 'app' },
    { id: 'password', label: 'password', purpose: 'PASSWORD', type: 'CONCEALED', value: password },
  ],
});

type Event = {
  action: string;
  resourceType: string;
  itemId: string | null;
  itemVersion: number | null;
  result: string;
};
const itemEvents = async (itemId: string) =>
  ((await api.get(`/audit?limit=100&resource=${itemId}`)).json() as Event[])
    .filter((e) => e.resourceType === 'ITEM' && e.action !== 'READ')
    .map((e) => `${e.action} ${e.itemVersion ?? '-'} ${e.result}`)
    .reverse();

async function editedTwice() {
  const item = (await api.post(`/vaults/${vault}/items`, login('first'))).json();
  const url = `/vaults/${vault}/items/${item.id}`;
  expect((await api.put(url, { ...login('second', 'Database v2'), version: 1 })).statusCode).toBe(200);
  expect((await api.put(url, { ...login('third', 'Database v3'), version: 2 })).statusCode).toBe(200);
  return { id: item.id as string, url };
}

describe('restoring a version', () => {
  it("stores version 1's content as version 4, keeping the history whole, audited as an update", async () => {
    const { id, url } = await editedTwice();
    const res = await api.post(`${url}/versions/1/restore`, { currentVersion: 3 });
    expect(res.statusCode).toBe(200);
    const restored = res.json();
    expect(restored).toMatchObject({ id, version: 4, title: 'Database' });
    expect(restored.fields.find((f: { id: string }) => f.id === 'password').value).toBe('first');
    expect((await api.get(url)).json()).toEqual(restored);
    const history = (await api.get(`${url}/versions`)).json() as { version: number; title: string }[];
    expect(history.map((h) => [h.version, h.title])).toEqual([
      [4, 'Database'],
      [3, 'Database v3'],
      [2, 'Database v2'],
      [1, 'Database'],
    ]);
    // Version 3 is still what it was.
    const three = (await api.get(`${url}/versions/3`)).json();
    expect(three.fields.find((f: { id: string }) => f.id === 'password').value).toBe('third');
    expect(await itemEvents(id)).toEqual([
      'CREATE 1 SUCCESS',
      'UPDATE 2 SUCCESS',
      'UPDATE 3 SUCCESS',
      'UPDATE 4 SUCCESS',
    ]);
  });

  it('refuses a restore based on a stale version (409), a version that does not exist (404) and a bad body (400)', async () => {
    const { id, url } = await editedTwice();
    const stale = await api.post(`${url}/versions/1/restore`, { currentVersion: 2 });
    expect(stale.statusCode).toBe(409);
    expect(stale.json()).toMatchObject({ code: 'version_conflict' });
    expect((await api.post(`${url}/versions/9/restore`, {})).statusCode).toBe(404);
    const bad = await api.post(`${url}/versions/1/restore`, { currentVersion: 'three' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().code).toBe('invalid_input');
    const extra = await api.post(`${url}/versions/1/restore`, { version: 3 });
    expect(extra.statusCode).toBe(400);
    expect((await api.post(`${url}/versions/0/restore`, {})).statusCode).toBe(400);
    // Nothing was stored; each refused attempt is on record as a failed update.
    expect((await api.get(url)).json().version).toBe(3);
    expect((await itemEvents(id)).slice(3)).toEqual([
      'UPDATE - FAILURE',
      'UPDATE - FAILURE',
      'UPDATE - FAILURE',
      'UPDATE - FAILURE',
    ]);
  });

  it('restores without a body too', async () => {
    const { url } = await editedTwice();
    const res = await t.app.inject({
      method: 'POST',
      url: `/api/admin${url}/versions/2/restore`,
      headers: { authorization: `Bearer ${t.token}` },
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ version: 4, title: 'Database v2' });
  });
});

describe('the trash', () => {
  let connect: InjectableConnect;
  let connectToken: string;
  beforeEach(async () => {
    const setup = adminSetup(t);
    const server = (await setup.server([vault])).id;
    connectToken = (await setup.token(server, [{ vaultId: vault, permissions: ['read', 'write'] }])).token;
    connect = await connectAppFor(t, server);
  });
  afterEach(() => connect.close());
  const viaConnect = (method: 'GET' | 'DELETE', url: string) =>
    connect.inject({ method, url, headers: { authorization: `Bearer ${connectToken}` } });

  it('a deleted item leaves the vault for its trash, comes back as it was, and is then deleted for good', async () => {
    const { id, url } = await editedTwice();
    const before = (await api.get(url)).json();
    expect((await api.get(`/vaults/${vault}`)).json().items).toBe(1);

    expect((await api.delete(url)).statusCode).toBe(204);
    expect((await api.get(url)).statusCode).toBe(404);
    expect((await api.get(`${url}/versions`)).statusCode).toBe(404);
    expect((await api.get(`/vaults/${vault}/items`)).json()).toEqual([]);
    expect((await api.get(`/vaults/${vault}`)).json().items).toBe(0);
    // Connect sees it gone, as 1Password Connect's clients expect after a DELETE.
    expect((await viaConnect('GET', `/v1/vaults/${vault}/items/${id}`)).statusCode).toBe(404);
    expect((await viaConnect('GET', `/v1/vaults/${vault}/items`)).json()).toEqual([]);
    expect((await viaConnect('GET', `/v1/vaults/${vault}`)).json().items).toBe(0);

    const trash = (await api.get(`/vaults/${vault}/trash`)).json();
    expect(trash).toEqual([
      expect.objectContaining({ id, title: 'Database v3', version: 3, deletedBy: expect.any(String) }),
    ]);
    expect(trash[0].deletedAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(trash[0]).not.toHaveProperty('fields');
    // Already in the trash: a second delete finds nothing to move.
    expect((await api.delete(url)).statusCode).toBe(404);

    const back = await api.post(`/vaults/${vault}/trash/${id}/undelete`);
    expect(back.statusCode).toBe(200);
    expect(back.json()).toEqual(before);
    expect((await api.get(url)).json()).toEqual(before);
    expect((await api.get(`/vaults/${vault}/trash`)).json()).toEqual([]);
    expect((await viaConnect('GET', `/v1/vaults/${vault}/items/${id}`)).statusCode).toBe(200);
    expect((await api.post(`/vaults/${vault}/trash/${id}/undelete`)).statusCode).toBe(404);
    // Only an item in the trash is deleted from it.
    expect((await api.delete(`/vaults/${vault}/trash/${id}`)).statusCode).toBe(404);

    // Connect's DELETE moves it to the trash too.
    expect((await viaConnect('DELETE', `/v1/vaults/${vault}/items/${id}`)).statusCode).toBe(204);
    expect((await api.get(`/vaults/${vault}/trash`)).json().map((i: { id: string }) => i.id)).toEqual([id]);
    expect((await api.delete(`/vaults/${vault}/trash/${id}`)).statusCode).toBe(204);
    expect((await api.get(`/vaults/${vault}/trash`)).json()).toEqual([]);
    expect((await api.post(`/vaults/${vault}/trash/${id}/undelete`)).statusCode).toBe(404);

    expect((await itemEvents(id)).slice(3)).toEqual([
      'DELETE 3 SUCCESS',
      'DELETE - FAILURE',
      'CREATE 3 SUCCESS',
      'CREATE - FAILURE',
      'DELETE - FAILURE',
      'DELETE 3 SUCCESS',
      'DELETE - SUCCESS',
      'CREATE - FAILURE',
    ]);
  });

  it('deletes an item outside the trash permanently with ?permanent=true', async () => {
    const { id, url } = await editedTwice();
    expect((await api.delete(`${url}?permanent=true`)).statusCode).toBe(204);
    expect((await api.get(url)).statusCode).toBe(404);
    expect((await api.get(`/vaults/${vault}/trash`)).json()).toEqual([]);
    expect((await api.post(`/vaults/${vault}/trash/${id}/undelete`)).statusCode).toBe(404);
    expect((await api.delete(`${url}?permanent=yes`)).statusCode).toBe(400);
  });

  it('a trashed item cannot be edited, restored, or have files added until it is undeleted', async () => {
    const { id, url } = await editedTwice();
    expect((await api.delete(url)).statusCode).toBe(204);
    expect((await api.put(url, login('x'))).statusCode).toBe(404);
    expect((await api.post(`${url}/versions/1/restore`, {})).statusCode).toBe(404);
    expect((await api.get(`${url}/files`)).statusCode).toBe(404);
    expect((await api.post(`/vaults/${vault}/trash/${id}/undelete`)).statusCode).toBe(200);
    expect((await api.post(`${url}/versions/1/restore`, {})).json().version).toBe(4);
  });

  it('deleting the vault deletes what its trash holds', async () => {
    const { url } = await editedTwice();
    expect((await api.delete(url)).statusCode).toBe(204);
    expect((await api.delete(`/vaults/${vault}`)).statusCode).toBe(204);
    expect((await api.get(`/vaults/${vault}/trash`)).statusCode).toBe(404);
  });
});
