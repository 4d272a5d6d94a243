import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditEvent } from '../../src/http/admin/responses/audit.js';
import { client, startTestApp, type TestApp } from '../helpers/app.js';

/**
 * `GET /api/admin/audit/export`: every event the trail's filters match, as JSON lines, equal to
 * what paging through `GET /api/admin/audit` with the same filters answers, past one export page
 * (1000 events).
 */
let t: TestApp;
let api: ReturnType<typeof client>;
let vaultId: string;
let itemId: string;
beforeAll(async () => {
  t = await startTestApp();
  api = client(t.app, t.token);
  vaultId = (await api.post('/vaults', { name: 'V' })).json().id;
  itemId = (
    await api.post(`/vaults/${vaultId}/items`, {
      title: 'x',
      category: 'LOGIN',
      fields: [{ id: 'password', type: 'CONCEALED', purpose: 'PASSWORD', value: 'p' }],
    })
  ).json().id;
  // 1,100 audited reads: more than one page of the export.
  for (let i = 0; i < 11; i++) {
    await Promise.all(Array.from({ length: 100 }, () => api.get(`/vaults/${vaultId}/items/${itemId}`)));
  }
  await api.get(`/vaults/${vaultId}/items/${'z'.repeat(26)}`);
}, 120_000);
afterAll(() => t.close());

const exported = async (query: string) => {
  const res = await t.app.inject({
    url: `/api/admin/audit/export?${query}`,
    headers: { authorization: `Bearer ${t.token}` },
  });
  return res;
};

/** Every event `GET /audit` answers for the filters, page after page. */
async function paged(query: string): Promise<unknown[]> {
  const all: { seq: number }[] = [];
  let before = '';
  for (;;) {
    const res = await api.get(`/audit?limit=1000&${query}${before}`);
    expect(res.statusCode, res.body).toBe(200);
    const page = res.json() as { seq: number }[];
    all.push(...page);
    if (page.length < 1000) return all;
    before = `&before=${page[page.length - 1]?.seq}`;
  }
}

describe('GET /api/admin/audit/export', () => {
  it('answers the filtered trail as JSON lines, every event, equal to the pages of GET /audit', async () => {
    const query = `action=READ&result=SUCCESS&resource=${itemId}`;
    const res = await exported(query);
    expect(res.statusCode, res.body.slice(0, 300)).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/x-ndjson/);
    expect(res.headers['content-disposition']).toMatch(
      /^attachment; filename="keyhold-audit-[0-9TZ-]+\.jsonl"$/,
    );
    expect(res.body.endsWith('\n')).toBe(true);
    const lines = res.body
      .slice(0, -1)
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(lines.length).toBe(1100);
    for (const line of lines) auditEvent.parse(line);
    expect(lines).toEqual(await paged(query));
    expect(lines.every((e) => e.action === 'READ' && e.result === 'SUCCESS' && e.itemId === itemId)).toBe(
      true,
    );
  });

  it('answers an empty file when nothing matches, and the other filters too', async () => {
    const none = await exported('action=DELETE');
    expect(none.statusCode).toBe(200);
    expect(none.body).toBe('');
    const failures = await exported('resourceType=VAULT');
    const lines = failures.body
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(lines).toEqual(await paged('resourceType=VAULT'));
    expect(lines.length).toBeGreaterThan(0);
  });

  it('refuses bad filters and a caller without audit:read, as GET /audit does', async () => {
    expect((await exported('limit=5')).statusCode).toBe(400);
    expect((await exported('since=yesterday')).json()).toMatchObject({ status: 400, code: 'invalid_input' });
    const member = await api.post('/admin-tokens', { name: 'connect', role: 'connect-manager' });
    const token = member.json().token as string;
    const refused = await t.app.inject({
      url: '/api/admin/audit/export',
      headers: { authorization: `Bearer ${token}` },
    });
    expect(refused.statusCode).toBe(403);
    expect(refused.headers['content-type']).toMatch(/^application\/json/);
    expect((await exported('')).statusCode).toBe(200);
  });
});
