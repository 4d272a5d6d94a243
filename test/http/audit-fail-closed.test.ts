import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { client, startTestApp, type TestApp } from '../helpers/app.js';

let t: TestApp;
let api: ReturnType<typeof client>;
beforeEach(async () => {
  t = await startTestApp();
  api = client(t.app, t.token);
});
afterEach(() => t.close());

/** Makes every audit insert fail, the way a full disk or a broken table would. */
function breakAudit(dir: string) {
  const raw = new Database(join(dir, 'keyhold.db'));
  raw.exec(
    `create trigger audit_down before insert on audit_events begin select raise(abort, 'audit store down'); end`,
  );
  raw.close();
}

describe('audit is fail-closed', () => {
  it('a secret read whose audit event cannot be written fails with 503 and returns no secret', async () => {
    const vault = (await api.post('/vaults', { name: 'v' })).json();
    const item = (
      await api.post(`/vaults/${vault.id}/items`, {
        title: 'x',
        fields: [{ purpose: 'PASSWORD', value: 'never-without-audit' }],
      })
    ).json();
    breakAudit(t.dir);
    const res = await api.get(`/vaults/${vault.id}/items/${item.id}`);
    expect(res.statusCode).toBe(503);
    expect(res.json()).toEqual({
      status: 503,
      code: 'audit_unavailable',
      message: 'The audit trail is unavailable; the request was not served',
    });
    expect(res.body).not.toContain('never-without-audit');
  });

  it('a mutation whose audit event cannot be written is rolled back', async () => {
    const vault = (await api.post('/vaults', { name: 'v' })).json();
    breakAudit(t.dir);
    const res = await api.post(`/vaults/${vault.id}/items`, { title: 'should not exist', fields: [] });
    expect(res.statusCode).toBe(503);
    const raw = new Database(join(t.dir, 'keyhold.db'), { readonly: true });
    const count = raw.prepare('select count(*) as n from items').get() as { n: number };
    raw.close();
    expect(count.n).toBe(0);
    const created = await api.post('/vaults', { name: 'also not' });
    expect(created.statusCode).toBe(503);
    // Listing vaults needs no audit event of its own, so it still works and shows only the first.
    expect((await api.get('/vaults')).json().map((v: { name: string }) => v.name)).toEqual(['v']);
  });
});
