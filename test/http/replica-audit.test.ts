import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditShipper } from '../../src/connect-server/node/shipper.js';
import { newId } from '../../src/crypto/ids.js';
import { AUDIT_BODY_LIMIT } from '../../src/http/connect-server-replica.js';
import type { AuditEventInput } from '../../src/storage/ports.js';
import { listenLocally, startTestApp, type TestApp } from '../helpers/app.js';
import { adminSetup } from '../helpers/connect-app.js';

/** `POST /api/connect-server/v1/replica/audit`: a node's audit outbox, stored once, in order. */
let t: TestApp;
let base: string;
let setup: ReturnType<typeof adminSetup>;
let vault: string;
let secret: string;
let tokenId: string;
let otherToken: string;

const ship = (body: unknown, s = secret) =>
  fetch(`${base}/api/connect-server/v1/replica/audit`, {
    method: 'POST',
    headers: { authorization: `Bearer ${s}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
const event = (overrides: Record<string, unknown> = {}) => ({
  occurredAt: '2026-12-07T04:00:00.000Z',
  actorType: 'connect_token',
  actorId: tokenId,
  tokenId,
  action: 'READ',
  resourceType: 'ITEM',
  resourceId: null,
  vaultId: vault,
  itemId: newId(),
  itemVersion: 1,
  result: 'SUCCESS',
  requestId: newId(),
  ip: '10.0.0.1',
  userAgent: 'sdk',
  ...overrides,
});
const outbox = () => `outbox-${newId()}`;
const stored = async (requestIds: string[]) => {
  const res = await setup.api.get('/audit?limit=1000');
  const text = res.body;
  return requestIds.map((id) => text.split(id).length - 1);
};

beforeAll(async () => {
  t = await startTestApp();
  base = await listenLocally(t);
  setup = adminSetup(t);
  vault = (await setup.vault('Production')).id;
  const server = await setup.server([vault]);
  secret = server.credentials.serverSecret;
  tokenId = (await setup.token(server.id, [{ vaultId: vault, permissions: ['read'] }])).id;
  const other = await setup.server([vault], 'other');
  otherToken = (await setup.token(other.id, [{ vaultId: vault, permissions: ['read'] }])).id;
});
afterAll(async () => {
  await t.close();
});

describe('audit shipments', () => {
  it('stores each event once, even when the same shipment is sent several times at once', async () => {
    const box = outbox();
    const events = [1, 2, 3].map((seq) => ({ seq, event: event() }));
    const answers = await Promise.all([1, 2, 3, 4].map(() => ship({ outbox: box, events })));
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200]);
    for (const a of answers) expect(await a.json()).toEqual({ through: 3 });
    expect(await stored(events.map((e) => e.event.requestId))).toEqual([1, 1, 1]);
    // A later shipment overlapping the first stores only what is new.
    const more = [3, 4].map((seq) => ({ seq, event: event() }));
    expect(await (await ship({ outbox: box, events: more })).json()).toEqual({ through: 4 });
    expect(await stored(more.map((e) => e.event.requestId))).toEqual([0, 1]);
  });

  it('refuses the whole shipment for one bad event, saying which and why', async () => {
    const box = outbox();
    const good = { seq: 1, event: event() };
    for (const [bad, why] of [
      [event({ tokenId: otherToken, actorId: otherToken }), 'not a token of this server'],
      [event({ vaultId: newId() }), 'not a vault of this account'],
      [event({ tokenId: null }), 'must name its token'],
    ] as const) {
      const res = await ship({ outbox: box, events: [good, { seq: 2, event: bad }] });
      expect(res.status).toBe(400);
      const body = await res.text();
      expect(body).toContain('event 1 (seq 2)');
      expect(body).toContain(why);
      expect(body).not.toContain(secret);
    }
    expect(await stored([good.event.requestId])).toEqual([0]);
    expect((await ship({ outbox: box, events: [{ seq: 2, event: event() }, good] })).status).toBe(400);
    expect((await ship({ outbox: 'short', events: [good] })).status).toBe(400);
    expect((await ship({ outbox: box, events: [good] }, 'khsrv_wrong')).status).toBe(401);
  });

  it('refuses a body over the limit', async () => {
    const res = await ship({
      outbox: outbox(),
      events: [{ seq: 1, event: event({ userAgent: 'x'.repeat(3_000_000) }) }],
    });
    expect(res.status).toBe(413);
  });

  it('takes 1,000 DENY events with every field at the bound a node records (headers as Latin-1, a count at the column max)', async () => {
    const hi = (n: number) => '\u00ff'.repeat(n);
    const events = Array.from({ length: 1_000 }, (_, i) => ({
      seq: i + 1,
      event: event({
        actorId: hi(128),
        tokenId: hi(128),
        result: 'DENY',
        requestId: hi(128),
        ip: hi(64),
        userAgent: hi(256),
        count: 2_147_483_647,
      }),
    }));
    const body = JSON.stringify({ outbox: outbox(), events });
    const res = await fetch(`${base}/api/connect-server/v1/replica/audit`, {
      method: 'POST',
      headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json' },
      body,
    });
    expect(Buffer.byteLength(body)).toBeLessThan(AUDIT_BODY_LIMIT);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ through: 1_000 });
  });
});

describe('the node shipper against the central service', () => {
  it('a refused event (its vault deleted before it was shipped) is dropped loudly; the events around it are stored and the outbox drains', async () => {
    const doomed = (await setup.vault('Doomed')).id;
    const box = outbox();
    const events: { seq: number; event: AuditEventInput }[] = [];
    const input = (vaultId: string): AuditEventInput => ({
      ...(event({ vaultId }) as unknown as AuditEventInput),
      accountId: t.accountId,
    });
    // The node read the vault during an outage; the vault is deleted before the node ships.
    for (let seq = 1; seq <= 6; seq++) events.push({ seq, event: input(seq === 3 ? doomed : vault) });
    expect((await setup.api.delete(`/vaults/${doomed}`)).statusCode).toBe(204);
    const memory = {
      id: box,
      pending: (limit: number) => events.slice(0, limit),
      acknowledge: (through: number) => {
        events.splice(0, events.filter((e) => e.seq <= through).length);
      },
      size: () => events.length,
    };
    const kept = events.filter((e) => e.seq !== 3).map((e) => e.event.requestId as string);
    const dropped = events[2]?.event.requestId as string;
    const logs: string[] = [];
    const sink = new Writable({
      write(chunk, _enc, done) {
        logs.push(chunk.toString());
        done();
      },
    });
    const shipper = new AuditShipper({
      central: base,
      serverSecret: secret,
      outbox: memory,
      logger: pino({ level: 'info' }, sink),
      debounceMs: 10,
      backoff: { initialMs: 20, maxMs: 80 },
    });
    shipper.start();
    try {
      const end = Date.now() + 5_000;
      while (events.length > 0 && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
      expect(events).toHaveLength(0);
    } finally {
      await shipper.stop();
    }
    expect(await stored(kept)).toEqual([1, 1, 1, 1, 1]);
    expect(await stored([dropped])).toEqual([0]);
    const error = logs.map((l) => JSON.parse(l)).find((l) => l.level === 50 && l.seq === 3);
    expect(error?.msg).toMatch(/dropped/);
    expect(error?.requestId).toBe(dropped);
  });
});
