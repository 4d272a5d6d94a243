import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { client, startTestApp, type TestApp } from '../helpers/app.js';

let t: TestApp;
let api: ReturnType<typeof client>;
beforeAll(async () => {
  t = await startTestApp();
  api = client(t.app, t.token);
});
afterAll(() => t.close());

const error = async (query: string) => {
  const res = await api.get(`/audit?${query}`);
  return { status: res.statusCode, ...res.json() };
};

describe('GET /api/admin/audit: filters', () => {
  it('narrows by action, result, resource type, resource id, actor and time, combined with paging', async () => {
    const vault = (await api.post('/vaults', { name: 'V' })).json();
    const item = (
      await api.post(`/vaults/${vault.id}/items`, {
        title: 'x',
        category: 'LOGIN',
        fields: [{ id: 'password', type: 'CONCEALED', purpose: 'PASSWORD', value: 'p' }],
      })
    ).json();
    expect(item.id).toBeDefined();
    // Parallel reads of the item: each audited, each found by the filters.
    const reads = await Promise.all(
      Array.from({ length: 5 }, () => api.get(`/vaults/${vault.id}/items/${item.id}`)),
    );
    expect(reads.map((r) => r.statusCode)).toEqual([200, 200, 200, 200, 200]);
    const missing = await api.get(`/vaults/${vault.id}/items/${'z'.repeat(26)}`);
    expect(missing.statusCode).toBe(404);

    const get = async (query: string) => {
      const res = await api.get(`/audit?${query}`);
      expect(res.statusCode, res.body).toBe(200);
      return res.json() as {
        seq: number;
        action: string;
        result: string;
        resourceType: string;
        itemId: string | null;
        vaultId: string | null;
        actorId: string;
        occurredAt: string;
      }[];
    };
    const ofItem = await get(`resource=${item.id}&limit=100`);
    expect(ofItem.map((e) => e.action)).toEqual(['READ', 'READ', 'READ', 'READ', 'READ', 'CREATE']);
    const ofVault = await get(`resource=${vault.id}&limit=100`);
    expect(ofVault.length).toBeGreaterThanOrEqual(7);
    expect(ofVault.every((e) => e.vaultId === vault.id)).toBe(true);
    expect((await get(`resource=${vault.id}&resourceType=VAULT`)).map((e) => e.action)).toEqual(['CREATE']);
    expect((await get(`resource=${item.id}&action=CREATE`)).map((e) => e.itemId)).toEqual([item.id]);
    expect(
      (await get('action=READ&result=SUCCESS&resourceType=ITEM&limit=1000')).every(
        (e) => e.action === 'READ' && e.result === 'SUCCESS' && e.resourceType === 'ITEM',
      ),
    ).toBe(true);
    const actorId = ofItem[0]?.actorId as string;
    expect((await get(`actor=${actorId}&limit=1000`)).every((e) => e.actorId === actorId)).toBe(true);
    expect(await get('actor=system&resource=zzzzzzzzzzzzzzzzzzzzzzzzzz')).toEqual([]);

    // Paging a filtered trail: 2 + 2 + 2 of the item's 6 events, in order, none repeated.
    const pages: number[][] = [];
    let before = '';
    for (;;) {
      const page = await get(`resource=${item.id}&limit=2${before}`);
      if (page.length === 0) break;
      pages.push(page.map((e) => e.seq));
      before = `&before=${page.at(-1)?.seq}`;
    }
    expect(pages.flat()).toEqual(ofItem.map((e) => e.seq));
    expect(pages.map((p) => p.length)).toEqual([2, 2, 2]);

    // Time: since is inclusive, until exclusive; offsets are read as the instants they name.
    const created = ofItem.at(-1)?.occurredAt as string;
    expect((await get(`resource=${item.id}&until=${created}`)).length).toBe(0);
    expect((await get(`resource=${item.id}&since=${created}`)).length).toBe(6);
    const hourAhead = new Date(Date.parse(created) + 3_600_000).toISOString().replace('Z', '+01:00');
    const local = encodeURIComponent(hourAhead.replace(/\.\d{3}/, ''));
    expect((await get(`resource=${item.id}&until=${local}`)).length).toBe(0);
    expect(
      (await get(`resource=${item.id}&since=2000-01-01T00:00:00Z&until=2999-01-01T00:00:00Z`)).length,
    ).toBe(6);
  });

  it.each([
    [
      'since=yesterday',
      'query: since: must be an RFC 3339 date-time with a time zone, like 2026-01-02T15:04:05Z or 2026-01-02T16:04:05+01:00',
    ],
    [
      'until=2026-01-02',
      'query: until: must be an RFC 3339 date-time with a time zone, like 2026-01-02T15:04:05Z or 2026-01-02T16:04:05+01:00',
    ],
    [
      'since=2026-02-30T00:00:00Z',
      'query: since: must be an RFC 3339 date-time with a time zone, like 2026-01-02T15:04:05Z or 2026-01-02T16:04:05+01:00',
    ],
    [
      'since=2026-01-02T00:00:00',
      'query: since: must be an RFC 3339 date-time with a time zone, like 2026-01-02T15:04:05Z or 2026-01-02T16:04:05+01:00',
    ],
    [
      'since=2026-01-02T00:00:00Z&until=2026-01-01T00:00:00Z',
      'query: since (2026-01-02T00:00:00.000Z) must be earlier than until (2026-01-01T00:00:00.000Z); the range holds events from since up to, not including, until',
    ],
    [
      'since=2026-01-02T01:00:00%2B01:00&until=2026-01-02T00:00:00Z',
      'query: since (2026-01-02T00:00:00.000Z) must be earlier than until (2026-01-02T00:00:00.000Z); the range holds events from since up to, not including, until',
    ],
    ['action=read', 'query: action: must be one of READ, CREATE, UPDATE, DELETE'],
    ['result=DENIED', 'query: result: must be one of SUCCESS, DENY, FAILURE'],
    [
      'resourceType=WIDGET',
      expect.stringMatching(/^query: resourceType: must be one of ACCOUNT, USER, .*MFA_CHALLENGE$/),
    ],
    ['actor=alice%40example.com', "query: actor: must be an actor's id (a-z, 0-9 and -)"],
    ['actor=', 'query: actor: must not be empty'],
    [`resource=${'a'.repeat(129)}`, 'query: resource: must be at most 128 characters long'],
    ['resource=..%2F..', 'query: resource: must be an id (a-z, 0-9 and -)'],
    ['user=alice', 'query: unknown field "user"'],
    ['resourceId=abc', 'query: unknown field "resourceId"'],
    ['limit=0', 'query: limit: must be at least 1'],
  ])('%s is 400 invalid_input with a message saying what to send', async (query, message) => {
    expect(await error(query)).toEqual({ status: 400, code: 'invalid_input', message });
  });

  it('does not quote a bad value back', async () => {
    const body = await error(`since=${encodeURIComponent('<script>secret-ish</script>')}`);
    expect(body.status).toBe(400);
    expect(JSON.stringify(body)).not.toContain('secret-ish');
  });

  it('answers repeated filters (an array) with 400, not a 500', async () => {
    const body = await error('action=READ&action=DELETE');
    expect(body).toMatchObject({ status: 400, code: 'invalid_input' });
    expect(body.message).toMatch(/^query: action: /);
  });
});
