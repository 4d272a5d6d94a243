import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import net from 'node:net';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type { ReplicaPosition } from '../../../src/connect-server/node/replica.js';
import { EventTooLarge, SseParser } from '../../../src/connect-server/node/sse.js';
import { backoffDelay, SyncClient } from '../../../src/connect-server/node/sync.js';
import {
  MAX_RECORD_BYTES,
  REPLICA_PATH,
  type ReplicaRecord,
} from '../../../src/connect-server/wire/replica-protocol.js';

/**
 * The node's sync client against a real HTTP server that speaks the stream protocol
 * (wire/replica-protocol.ts): what the client asks for, and what it does with what it gets.
 */

const EPOCH = 'epoch-aaaaaaaaaaaaaaaa';
const VAULT = 'v'.repeat(26);
const SECRET = 'the-server-secret';
const mark = (seq: number, epoch = EPOCH): ReplicaRecord => ({ type: 'mark', epoch, seq });
const gone = (vaultId = VAULT): ReplicaRecord => ({ type: 'vault-gone', vaultId });
const event = (record: unknown) => `data: ${JSON.stringify(record)}\n\n`;

/** A replica that records what it is given, positioned by the marks it applies. */
class FakeReplica {
  readonly serverId = 's'.repeat(26);
  readonly accountId = 'a'.repeat(26);
  received: ReplicaRecord[] = [];
  abandoned = 0;
  wiped = 0;
  at: ReplicaPosition | undefined;
  /** Rejects the record whose index (in `received`) is given, once. */
  rejectAt: number | undefined;
  position() {
    return this.at;
  }
  async receive(record: ReplicaRecord) {
    await new Promise((resolve) => setImmediate(resolve));
    if (this.rejectAt === this.received.length) {
      this.rejectAt = undefined;
      throw new Error('a seal that does not open');
    }
    this.received.push(record);
    if (record.type === 'mark') this.at = { epoch: record.epoch, seq: record.seq };
  }
  abandon() {
    this.abandoned++;
  }
  wipe() {
    this.wiped++;
    this.at = undefined;
  }
  async close() {}
}

interface Connection {
  query: URLSearchParams;
  authorization: string | undefined;
  at: number;
}

/** An HTTP server answering the stream; `script(n, res)` plays connection n (0-based). */
async function streamServer(script: (n: number, res: http.ServerResponse) => void) {
  const connections: Connection[] = [];
  const open = new Set<http.ServerResponse>();
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname !== `${REPLICA_PATH}/stream`) {
      res.writeHead(404).end();
      return;
    }
    connections.push({ query: url.searchParams, authorization: req.headers.authorization, at: Date.now() });
    open.add(res);
    res.on('close', () => open.delete(res));
    script(connections.length - 1, res);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  servers.push({ server, open });
  return { url, connections };
}

const sse = (res: http.ServerResponse) => {
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  res.flushHeaders();
};

const servers: { server: http.Server; open: Set<http.ServerResponse> }[] = [];
const clients: SyncClient[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.stop()));
  for (const { server, open } of servers.splice(0)) {
    for (const res of open) res.destroy();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

function client(
  url: string,
  replica: FakeReplica,
  extra: Partial<ConstructorParameters<typeof SyncClient>[0]> = {},
) {
  const sync = new SyncClient({
    central: url,
    serverSecret: SECRET,
    replica,
    logger: pino({ level: 'silent' }),
    backoff: { initialMs: 20, maxMs: 80 },
    ...extra,
  });
  clients.push(sync);
  return sync;
}

async function until(check: () => boolean, ms = 3_000) {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe('the SSE parser', () => {
  it('joins data lines, skips comments and a BOM, and takes CRLF, CR and LF split anywhere', () => {
    const text =
      '\uFEFF: hello\r\ndata: {"a":\r\ndata:1}\r\n\r\nevent: x\rdata: two\r\rdata:three\n\ndata: open';
    for (const size of [1, 2, 3, 7, text.length]) {
      const parser = new SseParser();
      const events = [];
      const bytes = Buffer.from(text, 'utf8');
      for (let i = 0; i < bytes.length; i += size) events.push(...parser.push(bytes.subarray(i, i + size)));
      expect(events).toEqual([
        { event: 'message', data: '{"a":\n1}' },
        { event: 'x', data: 'two' },
        { event: 'message', data: 'three' },
      ]);
      // The last event never ended: it is not given.
      expect(parser.pending()).toBe(true);
    }
  });
});

describe('the SSE parser bound', () => {
  it('throws once an event (data lines, or one line without end, or comments) passes the bound, and not before', () => {
    const ok = new SseParser(20);
    expect(ok.push(Buffer.from('data: 0123456789\ndata: 01234567\n\n'))).toHaveLength(1);
    expect(ok.push(Buffer.from('data: 0123456789\n\n'))).toHaveLength(1);
    expect(() => new SseParser(20).push(Buffer.from('data: 0123456789\ndata: 0123456789\n'))).toThrow(
      EventTooLarge,
    );
    const line = new SseParser(20);
    line.push(Buffer.from('data: 0123456789'));
    expect(() => line.push(Buffer.from('0123456789'))).toThrow(EventTooLarge);
    expect(() => new SseParser(20).push(Buffer.from(`:${'x'.repeat(30)}`))).toThrow(EventTooLarge);
  });
});

describe('the sync client', () => {
  it('applies records in order, then resumes after the last mark with its epoch', async () => {
    const { url, connections } = await streamServer((n, res) => {
      sse(res);
      if (n === 0) {
        res.write(event({ type: 'reset', epoch: EPOCH }) + event(gone()) + event(mark(7)));
        res.write(event(gone()));
        res.end();
      } else res.write(event(mark(8)));
    });
    const replica = new FakeReplica();
    const sync = client(url, replica);
    sync.start();
    await until(() => replica.at?.seq === 8);
    expect(connections[0]?.query.toString()).toBe('');
    expect(connections[0]?.authorization).toBe(`Bearer ${SECRET}`);
    expect(Object.fromEntries(connections[1]?.query ?? [])).toEqual({ after: '7', epoch: EPOCH });
    expect(replica.received.map((r) => r.type)).toEqual([
      'reset',
      'vault-gone',
      'mark',
      'vault-gone',
      'mark',
    ]);
    expect(replica.abandoned).toBeGreaterThanOrEqual(1);
    expect(sync.status()).toMatchObject({ connected: true, caughtUp: true, gone: false });
    expect(sync.status().lastMarkAt).toBeGreaterThan(Date.now() - 5_000);
  });

  it('drops a stream with a record that does not parse, abandons, and resumes after the last mark', async () => {
    const { url, connections } = await streamServer((n, res) => {
      sse(res);
      if (n === 0) {
        res.write(event(mark(3)) + event({ type: 'reset', epoch: EPOCH }) + event(gone()));
        // Not a record: everything after it on this connection is ignored.
        res.write(`${event({ type: 'vault-gone', vaultId: 'not-an-id' })}${event(gone())}${event(mark(4))}`);
      } else if (n === 1) {
        res.write('data: {"type":"mark","ep');
        res.end();
      } else res.write(event(mark(5)));
    });
    const replica = new FakeReplica();
    const sync = client(url, replica);
    sync.start();
    await until(() => replica.at?.seq === 5);
    expect(replica.received.map((r) => r.type)).toEqual(['mark', 'reset', 'vault-gone', 'mark']);
    expect(replica.abandoned).toBeGreaterThanOrEqual(2);
    expect(Object.fromEntries(connections[1]?.query ?? [])).toEqual({ after: '3', epoch: EPOCH });
    expect(Object.fromEntries(connections[2]?.query ?? [])).toEqual({ after: '3', epoch: EPOCH });
  });

  it('drops a stream whose event grows past MAX_RECORD_BYTES (data lines without end) instead of growing memory, and resumes', async () => {
    let sent = 0;
    const { url } = await streamServer((n, res) => {
      sse(res);
      if (n === 0) {
        res.write(event(mark(3)));
        // One event that never ends: 1 MiB data lines, as fast as the node reads them.
        const line = `data: ${'A'.repeat(1024 * 1024)}\n`;
        const pump = () => {
          while (!res.destroyed && sent < 2 * MAX_RECORD_BYTES) {
            sent += line.length;
            if (!res.write(line)) {
              res.once('drain', pump);
              return;
            }
          }
        };
        pump();
      } else res.write(event(mark(5)));
    });
    const replica = new FakeReplica();
    const sync = client(url, replica, { silenceMs: 120_000 });
    const reasons: string[] = [];
    sync.on('disconnected', (reason) => reasons.push(reason));
    sync.start();
    await until(() => replica.at?.seq === 5, 60_000);
    expect(reasons[0]).toMatch(/too large/);
    // Dropped near the bound, not after the whole flood.
    expect(sent).toBeLessThan(MAX_RECORD_BYTES + 64 * 1024 * 1024);
  }, 90_000);

  it('drops a stream cut off in the middle of an event (the socket destroyed)', async () => {
    const { url, connections } = await streamServer((n, res) => {
      sse(res);
      if (n === 0) {
        res.write(`${event(mark(1))}data: {"type":"vault-gone",`);
        setTimeout(() => res.socket?.destroy(), 20);
      } else res.write(event(mark(2)));
    });
    const replica = new FakeReplica();
    client(url, replica).start();
    await until(() => replica.at?.seq === 2);
    expect(replica.received.map((r) => r.type)).toEqual(['mark', 'mark']);
    expect(connections[1]?.query.get('after')).toBe('1');
  });

  it('reconnects from the last mark when the replica rejects a record', async () => {
    const { url, connections } = await streamServer((n, res) => {
      sse(res);
      if (n === 0) res.write(event(mark(1)) + event(gone()) + event(mark(2)));
      else res.write(event(gone()) + event(mark(2)));
    });
    const replica = new FakeReplica();
    replica.rejectAt = 1;
    client(url, replica).start();
    await until(() => replica.at?.seq === 2);
    expect(replica.received.map((r) => r.type)).toEqual(['mark', 'vault-gone', 'mark']);
    expect(connections[1]?.query.get('after')).toBe('1');
    expect(replica.abandoned).toBe(1);
  });

  it('gives up on a central service that takes the connection and never answers, and tries again with backoff', async () => {
    const sockets: net.Socket[] = [];
    const black = net.createServer((socket) => {
      sockets.push(socket); // never answers
    });
    black.listen(0, '127.0.0.1');
    await once(black, 'listening');
    try {
      const replica = new FakeReplica();
      const sync = client(`http://127.0.0.1:${(black.address() as AddressInfo).port}`, replica, {
        silenceMs: 150,
      });
      sync.start();
      await until(() => sockets.length >= 3, 5_000);
      expect(sync.status().connected).toBe(false);
      expect(replica.abandoned).toBeGreaterThanOrEqual(2);
      await sync.stop();
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => black.close(resolve));
    }
  });

  it('gives up on a silent stream and connects again', async () => {
    const { url, connections } = await streamServer((n, res) => {
      sse(res);
      res.write(event(mark(n + 1)));
      // Then silence: no heartbeat.
    });
    const replica = new FakeReplica();
    const sync = client(url, replica, { silenceMs: 150 });
    const disconnects: string[] = [];
    sync.on('disconnected', (reason) => disconnects.push(reason));
    sync.start();
    await until(() => connections.length >= 3);
    expect(disconnects[0]).toBe('silent');
    const gaps = connections.slice(1).map((c, i) => c.at - (connections[i]?.at ?? 0));
    for (const gap of gaps) expect(gap).toBeGreaterThanOrEqual(140);
    expect(connections[2]?.query.get('after')).toBe('2');
  });

  it('gives up on a stream that dribbles bytes without completing a record, and not on a slow large one', async () => {
    const drips: NodeJS.Timeout[] = [];
    const { url, connections } = await streamServer((n, res) => {
      sse(res);
      res.write(event(mark(n + 1)));
      // Then a comment line's bytes one at a time, never ending it: no record, ever.
      if (n === 0) drips.push(setInterval(() => res.write(':'), 10));
      // The second connection: a record of 8 KB sent slowly, 400 bytes every 50 ms (2,400 bytes
      // a window, over 1 s: several windows without a record), then heartbeats.
      if (n === 1) {
        const big = event(mark(2)).replace('data: ', `: ${'x'.repeat(8_000)}\ndata: `);
        let at = 0;
        const slow = setInterval(() => {
          res.write(big.slice(at, at + 400));
          at += 400;
          if (at < big.length) return;
          clearInterval(slow);
          drips.push(setInterval(() => res.write(event(mark(2))), 100));
        }, 50);
        drips.push(slow);
      }
    });
    const replica = new FakeReplica();
    const sync = client(url, replica, { progress: { windowMs: 300, minBytes: 1_000 } });
    const disconnects: string[] = [];
    sync.on('disconnected', (reason) => disconnects.push(reason));
    sync.start();
    await until(() => connections.length >= 2);
    expect(disconnects[0]).toBe('dribbling');
    await until(() => replica.position()?.seq === 2);
    await new Promise((resolve) => setTimeout(resolve, 700));
    expect(disconnects).toEqual(['dribbling']);
    expect(connections.length).toBe(2);
    for (const drip of drips) clearInterval(drip);
  });

  it('wipes the replica and stops on a 401', async () => {
    const { url, connections } = await streamServer((n, res) => {
      if (n === 0) {
        sse(res);
        res.end(event(mark(1)));
      } else res.writeHead(401, { 'content-type': 'application/json' }).end('{"code":"unauthorized"}');
    });
    const replica = new FakeReplica();
    const sync = client(url, replica);
    const goneP = once(sync, 'gone');
    sync.start();
    await goneP;
    expect(replica.wiped).toBe(1);
    expect(sync.status()).toMatchObject({ gone: true, connected: false, lastMarkAt: undefined });
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(connections).toHaveLength(2);
  });

  it('wipes the replica and stops on server-gone', async () => {
    const { url, connections } = await streamServer((_n, res) => {
      sse(res);
      res.write(event(mark(1)) + event({ type: 'server-gone' }) + event(mark(2)));
    });
    const replica = new FakeReplica();
    const sync = client(url, replica);
    const goneP = once(sync, 'gone');
    sync.start();
    await goneP;
    expect(replica.wiped).toBe(1);
    expect(replica.received.map((r) => r.type)).toEqual(['mark']);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(connections).toHaveLength(1);
  });

  it('backs off between failed connections, doubling to a bound', async () => {
    const { url, connections } = await streamServer((_n, res) => {
      res.writeHead(503).end();
    });
    client(url, new FakeReplica(), { backoff: { initialMs: 20, maxMs: 80 }, random: () => 1 }).start();
    await until(() => connections.length >= 6);
    const gaps = connections.slice(1).map((c, i) => c.at - (connections[i]?.at ?? 0));
    // 20, 40, 80, 80, 80 (random 1 = no jitter down), with scheduling slack.
    expect(gaps[0]).toBeGreaterThanOrEqual(18);
    expect(gaps[1]).toBeGreaterThanOrEqual(38);
    for (const gap of gaps.slice(2)) {
      expect(gap).toBeGreaterThanOrEqual(78);
      expect(gap).toBeLessThan(300);
    }
  });

  it('computes jittered delays within [half, full] of the capped doubling', () => {
    const b = { initialMs: 250, maxMs: 10_000 };
    expect(backoffDelay(1, b, 1)).toBe(250);
    expect(backoffDelay(1, b, 0)).toBe(125);
    expect(backoffDelay(3, b, 1)).toBe(1_000);
    expect(backoffDelay(10, b, 1)).toBe(10_000);
    expect(backoffDelay(1_000, b, 0)).toBe(5_000);
  });

  it('stops cleanly in the middle of a stream', async () => {
    const { url, connections } = await streamServer((_n, res) => {
      sse(res);
      res.write(event(mark(1)));
    });
    const replica = new FakeReplica();
    const sync = client(url, replica);
    sync.start();
    await until(() => sync.status().connected);
    await sync.stop();
    expect(sync.status().connected).toBe(false);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(connections).toHaveLength(1);
  });

  it("tells the last mark's age on a clock that does not jump, from a mark of this process or given at start", async () => {
    let wall = Date.parse('2026-12-07T04:00:00.000Z');
    let mono = 1_000;
    const { url } = await streamServer((_n, res) => {
      sse(res);
      res.write(event(mark(3)));
    });
    const replica = new FakeReplica();
    const sync = client(url, replica, {
      lastMarkAt: wall - 60_000,
      now: () => wall,
      monotonic: () => mono,
    });
    expect(sync.markAge()).toBe(60_000);
    // The wall clock steps back an hour; the monotonic one moves on.
    wall -= 3_600_000;
    mono += 5_000;
    expect(sync.markAge()).toBe(65_000);
    sync.start();
    await until(() => replica.at?.seq === 3);
    expect(sync.markAge()).toBe(0);
    mono += 7_000;
    expect(sync.markAge()).toBe(7_000);
  });

  it('applies records of a write between stream records, leaving marks to the stream', async () => {
    const { url } = await streamServer((_n, res) => {
      sse(res);
      res.write(event(mark(1)));
    });
    const replica = new FakeReplica();
    const sync = client(url, replica);
    sync.start();
    await until(() => replica.at?.seq === 1);
    await sync.applyWriteRecords([gone(), mark(99), { type: 'reset', epoch: EPOCH }]);
    expect(replica.received.map((r) => r.type)).toEqual(['mark', 'vault-gone']);
    expect(replica.at?.seq).toBe(1);
  });
});
