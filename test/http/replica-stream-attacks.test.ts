import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_STREAMS_PER_SERVER } from '../../src/connect-server/central/replica-stream.js';
import { listenLocally, startTestApp, type TestApp } from '../helpers/app.js';
import { adminSetup } from '../helpers/connect-app.js';
import { openStream, type SseStream } from '../helpers/sse.js';

/** The replica stream's endpoint as a hostile caller holding a server secret would use it. */
let t: TestApp;
let base: string;
let setup: ReturnType<typeof adminSetup>;
let secret: string;
const opened: SseStream[] = [];

beforeAll(async () => {
  t = await startTestApp();
  base = await listenLocally(t);
  setup = adminSetup(t);
  const vault = (await setup.vault('V')).id;
  const created = await setup.server([vault]);
  secret = created.credentials.serverSecret;
}, 60_000);
afterAll(async () => {
  for (const s of opened) s.close();
  await t.close();
});

describe('the stream query', () => {
  it.each([
    'after=-1',
    'after=abc',
    'after=1.5',
    'after=1e400',
    'after=99999999999999999999',
    'after=1&after=2',
    'after=0x',
    'epoch=short',
    `epoch=${'e'.repeat(65)}`,
    'epoch=aaaaaaaaaaaaaaaa&epoch=bbbbbbbbbbbbbbbb',
    'epoch=aaaaaaaa%00aaaaaaaa',
    'unknown=1',
  ])('%s: 400, never 500', async (query) => {
    const res = await t.app.inject({
      method: 'GET',
      url: `/api/connect-server/v1/replica/stream?${query}`,
      headers: { authorization: `Bearer ${secret}` },
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().code).toBe('invalid_input');
    expect(res.body).not.toContain(secret);
  });
});

describe('many streams for one server', () => {
  it(`keeps at most MAX_STREAMS_PER_SERVER (${MAX_STREAMS_PER_SERVER}) open, ending the oldest`, async () => {
    const streams: SseStream[] = [];
    for (let i = 0; i <= MAX_STREAMS_PER_SERVER; i++) {
      const s = await openStream(base, secret, {});
      opened.push(s);
      streams.push(s);
      await s.waitFor((r) => r.type === 'mark', 10_000);
    }
    await streams[0]?.closed;
    expect(t.services.replicaStreams.connected).toBe(MAX_STREAMS_PER_SERVER);
    // The second oldest and the newest stay.
    let secondClosed = false;
    void streams[1]?.closed.then(() => {
      secondClosed = true;
    });
    await new Promise((r) => setTimeout(r, 100));
    expect(secondClosed).toBe(false);
    for (const s of streams) s.close();
  }, 60_000);
});

describe('a burst of writes', () => {
  it('each reaches a live stream within 1 s of its answer', async () => {
    const vault = (await setup.vault('Burst')).id;
    const created = await setup.server([vault], 'burst');
    const s = await openStream(base, created.credentials.serverSecret, {});
    opened.push(s);
    await s.waitFor((r) => r.type === 'mark', 10_000);
    const answered = new Map<string, number>();
    const N = 300;
    const started = performance.now();
    for (let i = 0; i < N; i += 30) {
      await Promise.all(
        Array.from({ length: 30 }, async (_, j) => {
          const item = await setup.item(vault, { title: `b${i + j}`, category: 'LOGIN', fields: [] });
          answered.set(item.id, performance.now());
        }),
      );
    }
    const elapsed = performance.now() - started;
    let worst = 0;
    for (const [id, at] of answered) {
      const { at: arrived } = await s.waitFor((r) => r.type === 'item' && r.item.id === id, 5_000);
      worst = Math.max(worst, arrived - at);
    }
    console.log(
      `${N} writes in ${Math.round(elapsed)} ms; worst delay from answer to stream: ${Math.round(worst)} ms`,
    );
    expect(worst).toBeLessThan(1_000);
    s.close();
  }, 60_000);
});
