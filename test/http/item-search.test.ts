import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { client, startTestApp, type TestApp } from '../helpers/app.js';

/**
 * GET /api/admin/vaults/{v}/items/search: pages in title order, a search over titles, tags and
 * URLs, and an index (domain/items/overview-index.ts) that every write is seen through at once.
 */
let t: TestApp;
let api: ReturnType<typeof client>;
let vaultId: string;
beforeEach(async () => {
  t = await startTestApp();
  api = client(t.app, t.token);
  vaultId = (await api.post('/vaults', { name: 'Many' })).json().id;
});
afterEach(() => t.close());

interface Page {
  items: { id: string; title: string; tags: string[] }[];
  total: number;
  matched: number;
  nextCursor?: string;
}
const search = async (query: Record<string, string>) => {
  const res = await api.get(`/vaults/${vaultId}/items/search?${new URLSearchParams(query)}`);
  expect(res.statusCode, res.body).toBe(200);
  return res.json() as Page;
};
const create = async (title: string, extra: Record<string, unknown> = {}) => {
  const res = await api.post(`/vaults/${vaultId}/items`, { title, category: 'LOGIN', ...extra });
  expect(res.statusCode, res.body).toBe(201);
  return res.json() as { id: string; version: number };
};

describe('item search', () => {
  it('pages through every item once, in title order, and searches titles, tags and URLs', async () => {
    for (let i = 0; i < 45; i++)
      await create(`Item ${String(i).padStart(2, '0')}`, {
        tags: i % 10 === 3 ? ['blue'] : [],
        urls: i === 17 ? [{ href: 'https://seventeen.example.com' }] : [],
      });
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await search({ limit: '20', ...(cursor ? { cursor } : {}) });
      expect(page.total).toBe(45);
      seen.push(...page.items.map((i) => i.title));
      cursor = page.nextCursor;
      pages++;
    } while (cursor);
    expect(pages).toBe(3);
    expect(seen).toEqual([...seen].sort());
    expect(new Set(seen).size).toBe(45);

    const tagged = await search({ q: 'BLUE' });
    expect(tagged.items.map((i) => i.title)).toEqual(['Item 03', 'Item 13', 'Item 23', 'Item 33', 'Item 43']);
    expect(tagged).toMatchObject({ total: 45, matched: 5 });
    expect(tagged.nextCursor).toBeUndefined();
    expect((await search({ q: 'seventeen.example' })).items.map((i) => i.title)).toEqual(['Item 17']);
    // Each word on its own: "item" and "3" (03, 13, 23, 30 to 39, 43).
    expect((await search({ q: 'item 3' })).matched).toBe(14);
    expect((await search({ q: 'blue 4' })).items.map((i) => i.title)).toEqual(['Item 43']);
    expect(await search({ q: 'nothing-like-it' })).toEqual({ items: [], total: 45, matched: 0 });
  });

  it('sees every create, rename and delete at the next request', async () => {
    const a = await create('Alpha');
    await create('Bravo');
    expect((await search({})).items.map((i) => i.title)).toEqual(['Alpha', 'Bravo']);
    await api.put(`/vaults/${vaultId}/items/${a.id}`, {
      title: 'Zulu',
      category: 'LOGIN',
      tags: ['renamed'],
    });
    await create('Charlie');
    expect((await search({})).items.map((i) => i.title)).toEqual(['Bravo', 'Charlie', 'Zulu']);
    expect((await search({ q: 'renamed' })).items.map((i) => i.title)).toEqual(['Zulu']);
    expect((await api.delete(`/vaults/${vaultId}/items/${a.id}`)).statusCode).toBe(204);
    expect(await search({ q: 'zulu' })).toMatchObject({ items: [], total: 2, matched: 0 });
    // A write straight to the database, past the service (another node would be the same): seen too.
    const other = await create('Delta');
    await t.storage.items.delete(vaultId, other.id);
    expect((await search({})).items.map((i) => i.title)).toEqual(['Bravo', 'Charlie']);
  });

  it('continues after the last item shown even when items before it went away', async () => {
    const ids: string[] = [];
    for (const title of ['a', 'b', 'c', 'd', 'e']) ids.push((await create(title)).id);
    const first = await search({ limit: '2' });
    expect(first.items.map((i) => i.title)).toEqual(['a', 'b']);
    await api.delete(`/vaults/${vaultId}/items/${ids[0]}`);
    const next = await search({ limit: '2', cursor: first.nextCursor as string });
    expect(next.items.map((i) => i.title)).toEqual(['c', 'd']);
  });

  it('refuses bad parameters with 400 and audits each page as a read of the vault', async () => {
    for (const query of ['limit=0', 'limit=201', 'cursor=nope', 'other=1', `q=${'x'.repeat(201)}`]) {
      const res = await api.get(`/vaults/${vaultId}/items/search?${query}`);
      expect(res.statusCode, query).toBe(400);
      expect(res.json().code).toBe('invalid_input');
    }
    await search({ q: 'x' });
    const events = (await api.get(`/audit?limit=1&resource=${vaultId}`)).json();
    expect(events[0]).toMatchObject({ action: 'READ', resourceType: 'VAULT', vaultId, result: 'SUCCESS' });
  });

  it('warms the indexes of vaults at least as large as asked, and only those', async () => {
    for (const title of ['a', 'b', 'c']) await create(title);
    const small = (await api.post('/vaults', { name: 'Small' })).json().id;
    await api.post(`/vaults/${small}/items`, { title: 'x', category: 'LOGIN' });
    expect(await t.services.items.warmIndexes(2)).toEqual({ vaults: 1, items: 3 });
    expect(await t.services.items.warmIndexes()).toEqual({ vaults: 0, items: 0 });
  });

  it('fails closed on an item row altered in storage', async () => {
    const a = await create('Alpha');
    await search({});
    // Move the item's row back a version without its head: the log records no change, but a full read does.
    const row = await t.storage.items.get(vaultId, a.id, false);
    expect(row).toBeDefined();
    await t.storage.items.setHead(a.id, Buffer.alloc(32));
    const res = await api.get(`/vaults/${vaultId}/items/search`);
    expect(res.statusCode).toBe(500);
    expect(res.json().code).toBe('integrity_error');
  });

  it('an item moved to the trash leaves the search at once, and comes back when undeleted', async () => {
    await create('Kept');
    const gone = await create('Trashed one', { tags: ['trash-me'] });
    expect((await search({ q: 'trash-me' })).items.map((i) => i.title)).toEqual(['Trashed one']);
    expect((await api.delete(`/vaults/${vaultId}/items/${gone.id}`)).statusCode).toBe(204);
    expect(await search({ q: 'trash-me' })).toMatchObject({ items: [], total: 1, matched: 0 });
    expect((await search({})).items.map((i) => i.title)).toEqual(['Kept']);
    const back = await api.post(`/vaults/${vaultId}/trash/${gone.id}/undelete`, {});
    expect(back.statusCode, back.body).toBe(200);
    expect((await search({ q: 'trash-me' })).items.map((i) => i.title)).toEqual(['Trashed one']);
  });
});
