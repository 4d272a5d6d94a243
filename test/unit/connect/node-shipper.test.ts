import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { AuditShipper } from '../../../src/connect-server/node/shipper.js';
import { auditShipment, REPLICA_PATH } from '../../../src/connect-server/wire/replica-protocol.js';
import type { AuditEventInput } from '../../../src/storage/ports.js';

/** The audit shipper against a real HTTP server that keeps each (outbox, seq) once. */

const SECRET = 'the-server-secret';

const read = (n: number): AuditEventInput => ({
  occurredAt: new Date(Date.UTC(2026, 11, 7, 4, 0, n)).toISOString(),
  accountId: 'a'.repeat(26),
  actorType: 'connect_token',
  actorId: 't'.repeat(26),
  tokenId: 't'.repeat(26),
  action: 'READ',
  resourceType: 'ITEM',
  resourceId: 'i'.repeat(26),
  vaultId: 'v'.repeat(26),
  itemId: 'i'.repeat(26),
  itemVersion: n,
  result: 'SUCCESS',
  requestId: `req-${n}`,
  ip: '127.0.0.1',
  userAgent: 'test',
});

/** An outbox in memory, as the Outbox seam describes it. */
class MemoryOutbox {
  readonly id = 'outbox-aaaaaaaaaaaaaaaa';
  private next = 1;
  events: { seq: number; event: AuditEventInput }[] = [];
  acks: number[] = [];
  append(event: AuditEventInput) {
    this.events.push({ seq: this.next++, event });
  }
  pending(limit: number) {
    return this.events.slice(0, limit);
  }
  acknowledge(through: number) {
    this.acks.push(through);
    this.events = this.events.filter((e) => e.seq > through);
  }
  size() {
    return this.events.length;
  }
}

interface Central {
  url: string;
  held: Map<number, string>;
  shipments: number[][];
  /** What to do with the next requests: answer, refuse with a status, or keep and drop the answer. */
  plan: ('ok' | 'drop' | 'hang' | 503)[];
  authorization: (string | undefined)[];
  /** Answers 413 to a body longer than this. */
  bodyLimit?: number;
}

const servers: http.Server[] = [];
const shippers: AuditShipper[] = [];
afterEach(async () => {
  await Promise.all(shippers.splice(0).map((s) => s.stop()));
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

async function central(port = 0): Promise<Central> {
  const state: Central = { url: '', held: new Map(), shipments: [], plan: [], authorization: [] };
  const server = http.createServer(async (req, res) => {
    if (req.url !== `${REPLICA_PATH}/audit` || req.method !== 'POST') {
      res.writeHead(404).end();
      return;
    }
    state.authorization.push(req.headers.authorization);
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    if (state.bodyLimit !== undefined && body.length > state.bodyLimit) {
      state.authorization.pop();
      res.writeHead(413, { 'content-type': 'application/json' }).end('{"code":"payload_too_large"}');
      return;
    }
    const step = state.plan.shift() ?? 'ok';
    // Takes the shipment and never answers (the connection stays open).
    if (step === 'hang') return;
    if (typeof step === 'number') {
      res.writeHead(step, { 'content-type': 'application/json' }).end('{"code":"database_unavailable"}');
      return;
    }
    const shipment = auditShipment.parse(JSON.parse(body.toString('utf8')));
    state.shipments.push(shipment.events.map((e) => e.seq));
    for (const { seq, event } of shipment.events)
      if (!state.held.has(seq)) state.held.set(seq, event.requestId ?? '');
    if (step === 'drop') {
      res.socket?.destroy();
      return;
    }
    res
      .writeHead(200, { 'content-type': 'application/json' })
      .end(JSON.stringify({ through: Math.max(0, ...state.held.keys()) }));
  });
  server.listen(port, '127.0.0.1');
  await once(server, 'listening');
  servers.push(server);
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return state;
}

function shipper(
  url: string,
  outbox: MemoryOutbox,
  extra: Partial<ConstructorParameters<typeof AuditShipper>[0]> = {},
) {
  const s = new AuditShipper({
    central: url,
    serverSecret: SECRET,
    outbox,
    logger: pino({ level: 'silent' }),
    debounceMs: 10,
    backoff: { initialMs: 20, maxMs: 80 },
    ...extra,
  });
  shippers.push(s);
  return s;
}

async function until(check: () => boolean, ms = 3_000) {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe('the audit shipper', () => {
  it('ships pending events in order, in batches, and acknowledges what the central service holds', async () => {
    const c = await central();
    const outbox = new MemoryOutbox();
    for (let n = 1; n <= 5; n++) outbox.append(read(n));
    const s = shipper(c.url, outbox, { batch: 2 });
    s.start();
    await until(() => outbox.size() === 0);
    expect(c.shipments).toEqual([[1, 2], [3, 4], [5]]);
    expect(outbox.acks).toEqual([2, 4, 5]);
    expect(c.authorization.every((a) => a === `Bearer ${SECRET}`)).toBe(true);
    // Events appearing later are shipped soon after notify().
    const before = Date.now();
    outbox.append(read(6));
    outbox.append(read(7));
    s.notify();
    await until(() => outbox.size() === 0);
    expect(Date.now() - before).toBeLessThan(500);
    expect(c.shipments.at(-1)).toEqual([6, 7]);
    expect([...c.held.values()]).toEqual(['req-1', 'req-2', 'req-3', 'req-4', 'req-5', 'req-6', 'req-7']);
  });

  it('retries with the same sequence numbers when an answer is lost, and the events are held once', async () => {
    const c = await central();
    c.plan = ['drop', 503, 'ok'];
    const outbox = new MemoryOutbox();
    for (let n = 1; n <= 3; n++) outbox.append(read(n));
    shipper(c.url, outbox).start();
    await until(() => outbox.size() === 0);
    expect(c.shipments).toEqual([
      [1, 2, 3],
      [1, 2, 3],
    ]);
    expect(c.authorization).toHaveLength(3);
    expect([...c.held.keys()]).toEqual([1, 2, 3]);
    expect(outbox.acks).toEqual([3]);
  });

  it('gives up on a central service that takes the shipment and never answers, and ships again', async () => {
    const c = await central();
    c.plan = ['hang', 'ok'];
    const outbox = new MemoryOutbox();
    for (let n = 1; n <= 3; n++) outbox.append(read(n));
    shipper(c.url, outbox, { timeoutMs: 300 }).start();
    await until(() => outbox.size() === 0, 5_000);
    expect(c.authorization).toHaveLength(2);
    expect(outbox.acks).toEqual([3]);
  });

  it('halves its shipments while the central service answers 413, instead of retrying the same one for ever', async () => {
    const c = await central();
    const outbox = new MemoryOutbox();
    for (let n = 1; n <= 8; n++) outbox.append(read(n));
    const one = JSON.stringify({ outbox: outbox.id, events: [{ seq: 1, event: read(1) }] }).length;
    c.bodyLimit = one * 3;
    shipper(c.url, outbox).start();
    await until(() => outbox.size() === 0, 5_000);
    expect([...c.held.keys()]).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(c.shipments.every((s) => s.length <= 2)).toBe(true);
  });

  it('keeps events while the central service is unreachable and ships them, in order, once it is back', async () => {
    // A port nobody listens on yet.
    const probe = await central();
    const port = Number(new URL(probe.url).port);
    await new Promise((resolve) => servers.pop()?.close(resolve));
    const outbox = new MemoryOutbox();
    for (let n = 1; n <= 3; n++) outbox.append(read(n));
    const s = shipper(`http://127.0.0.1:${port}`, outbox);
    s.start();
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(outbox.size()).toBe(3);
    outbox.append(read(4));
    s.notify();
    const c = await central(port);
    await until(() => outbox.size() === 0);
    expect(c.shipments).toEqual([[1, 2, 3, 4]]);
  });

  it('stops cleanly and flushes once at shutdown', async () => {
    const c = await central();
    const outbox = new MemoryOutbox();
    const s = shipper(c.url, outbox, { debounceMs: 10_000, pollMs: 60_000 });
    s.start();
    outbox.append(read(1));
    s.notify();
    await s.flush();
    expect(outbox.size()).toBe(0);
    await s.stop();
    outbox.append(read(2));
    s.notify();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(c.shipments).toEqual([[1]]);
  });
});
