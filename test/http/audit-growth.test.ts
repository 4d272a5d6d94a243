import { statSync } from 'node:fs';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { inProcessCentral } from '../../src/connect-server/central/in-process-client.js';
import {
  REFUSALS_WRITTEN_PER_ACCOUNT,
  REFUSALS_WRITTEN_PER_INTERVAL,
} from '../../src/domain/audit/refusal-summaries.js';
import { type ProxyTrust, proxyTrust } from '../../src/http/client-address.js';
import { buildConnectApp, type ConnectApp } from '../../src/http/connect/app.js';
import { listeningUrl } from '../../src/http/listening-url.js';
import type { AuditEvent } from '../../src/storage/ports.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { adminSetup } from '../helpers/connect-app.js';

/**
 * Refused requests cannot fill the disk: over a real Connect listener and a real SQLite file,
 * what a refused client controls is bounded before it is stored, refusals past a handful a
 * minute from one source are counted into a summary, and authenticated actions are still
 * written one by one.
 */

const LONG_UA = `Mozilla/5.0 (${'x'.repeat(15 * 1024)})`;

interface Fixture {
  t: TestApp;
  app: ConnectApp;
  base: string;
  vault: string;
  item: string;
  serverSecret: string;
  read: { id: string; token: string };
  writeOnly: { id: string; token: string };
}

let open: Fixture | undefined;

async function fixture(options: { trustProxy?: ProxyTrust } = {}): Promise<Fixture> {
  const t = await startTestApp();
  const setup = adminSetup(t);
  const vault = (await setup.vault('v')).id;
  const item = (await setup.item(vault, { title: 'db', fields: [{ purpose: 'PASSWORD', value: 'hunter2' }] }))
    .id;
  const created = (await setup.api.post('/servers', { name: 'edge', vaults: [vault] })).json() as {
    id: string;
    credentials: { serverSecret: string };
  };
  const read = await setup.token(created.id, [{ vaultId: vault, permissions: ['read'] }]);
  const writeOnly = await setup.token(created.id, [{ vaultId: vault, permissions: ['write'] }]);
  const app = buildConnectApp({
    central: inProcessCentral(t.services, created.id),
    logger: pino({ level: 'silent' }),
    limits: { json: t.config.bodyLimit, file: t.config.maxFileSize, inlineFile: t.config.maxInlineFileSize },
    trustProxy: options.trustProxy,
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  open = {
    t,
    app,
    base: listeningUrl(app, '127.0.0.1'),
    vault,
    item,
    serverSecret: created.credentials.serverSecret,
    read,
    writeOnly,
  };
  return open;
}

afterEach(async () => {
  if (!open) return;
  await open.app.close();
  await open.t.close();
  open = undefined;
});

/** Runs `requests` with at most `concurrency` in flight; resolves to their statuses in order. */
async function pool(requests: (() => Promise<number>)[], concurrency = 16): Promise<number[]> {
  const statuses: number[] = new Array(requests.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < requests.length) {
        const i = next++;
        statuses[i] = await (requests[i] as () => Promise<number>)();
      }
    }),
  );
  return statuses;
}

const get = (url: string, headers: Record<string, string>) => async () => {
  const res = await fetch(url, { headers });
  await res.arrayBuffer();
  return res.status;
};

/** The database and its WAL, in bytes, after a checkpoint has moved the WAL into the database. */
function storeSize(dir: string): number {
  const file = join(dir, 'keyhold.db');
  const db = new BetterSqlite3(file);
  try {
    const [result] = db.pragma('wal_checkpoint(TRUNCATE)') as { busy: number }[];
    expect(result?.busy).toBe(0);
  } finally {
    db.close();
  }
  const size = (f: string) => {
    try {
      return statSync(f).size;
    } catch {
      return 0;
    }
  };
  return size(file) + size(`${file}-wal`);
}

const allEvents = async (t: TestApp): Promise<AuditEvent[]> => {
  const events: AuditEvent[] = [];
  for (;;) {
    const last = events.at(-1);
    const page = await t.storage.audit.list(t.accountId, {
      limit: 1000,
      ...(last ? { beforeSeq: last.seq } : {}),
    });
    events.push(...page);
    if (page.length < 1000) return events;
  }
};

describe('refused requests', () => {
  it('2,000 refused requests with a 15 KB User-Agent grow the store by less than 1 MiB', async () => {
    const f = await fixture();
    const before = storeSize(f.t.dir);
    // Two kinds of refused call: a garbage token listing vaults, no token reading an item.
    const statuses = await pool(
      Array.from({ length: 2000 }, (_, i) =>
        i % 2 === 0
          ? get(`${f.base}/v1/vaults`, { authorization: 'Bearer garbage', 'user-agent': LONG_UA })
          : get(`${f.base}/v1/vaults/${f.vault}/items/${f.item}`, { 'user-agent': LONG_UA }),
      ),
    );
    expect(statuses.every((s) => s === 401)).toBe(true);
    // As at shutdown: the summaries of the open interval are written.
    await f.t.services.refusals.close();
    const grown = storeSize(f.t.dir) - before;
    expect(grown).toBeLessThan(1024 * 1024);

    const denials = (await allEvents(f.t)).filter((e) => e.result === 'DENY');
    // A handful one by one, the rest in one summary per kind of call.
    expect(denials.filter((e) => e.count === 1)).toHaveLength(REFUSALS_WRITTEN_PER_INTERVAL);
    expect(denials.length).toBeLessThanOrEqual(REFUSALS_WRITTEN_PER_INTERVAL + 2);
    for (const e of denials) expect(e.userAgent?.length).toBeLessThanOrEqual(256);
    expect(denials.find((e) => e.count === 1)?.userAgent).toBe(LONG_UA.slice(0, 256));
  }, 120_000);

  it('2,000 refusals each from its own IPv6 /64 (one client holding a /48) write a bounded number of rows', async () => {
    // Behind a trusted proxy on loopback, which says each request came from another /64.
    const f = await fixture({ trustProxy: proxyTrust(['loopback']) });
    const statuses = await pool(
      Array.from({ length: 2000 }, (_, i) =>
        get(`${f.base}/v1/vaults`, {
          authorization: 'Bearer garbage',
          'user-agent': LONG_UA,
          'x-forwarded-for': `2001:db8:42:${i.toString(16)}::1`,
        }),
      ),
    );
    expect(statuses.every((s) => s === 401)).toBe(true);
    await f.t.services.refusals.close();
    const denials = (await allEvents(f.t)).filter((e) => e.result === 'DENY');
    expect(denials.reduce((n, e) => n + e.count, 0)).toBe(2000);
    // The account's budget one by one, then one summary for every source past it.
    expect(denials.filter((e) => e.count === 1)).toHaveLength(REFUSALS_WRITTEN_PER_ACCOUNT);
    expect(denials).toHaveLength(REFUSALS_WRITTEN_PER_ACCOUNT + 1);
    expect(denials.find((e) => e.count > 1)).toMatchObject({
      ip: null,
      count: 2000 - REFUSALS_WRITTEN_PER_ACCOUNT,
    });
  }, 120_000);

  it('summary events carry the count of the refusals they stand for, per kind of call', async () => {
    const f = await fixture();
    await pool([
      ...Array.from({ length: 120 }, () => get(`${f.base}/v1/vaults`, { authorization: 'Bearer garbage' })),
      ...Array.from({ length: 80 }, () => get(`${f.base}/v1/vaults/${f.vault}/items/${f.item}`, {})),
    ]);
    await f.t.services.refusals.close();
    const denials = (await allEvents(f.t)).filter((e) => e.result === 'DENY');
    const total = (resourceType: string) =>
      denials.filter((e) => e.resourceType === resourceType).reduce((sum, e) => sum + e.count, 0);
    // Every refusal is counted exactly once: written on its own or in its kind's summary.
    expect(total('VAULT')).toBe(120);
    expect(total('ITEM')).toBe(80);
    const summaries = denials.filter((e) => e.count > 1);
    expect(summaries.map((e) => e.resourceType).sort()).toEqual(['ITEM', 'VAULT']);
    for (const s of summaries) {
      expect(s).toMatchObject({
        action: 'READ',
        result: 'DENY',
        actorType: 'connect_token',
        actorId: 'unknown',
        tokenId: null,
        requestId: null,
        ip: '127.0.0.1',
        accountId: f.t.accountId,
      });
    }
  });

  it('records every authenticated action on its own, even at a high rate beside refusals', async () => {
    const f = await fixture();
    const itemUrl = `${f.base}/v1/vaults/${f.vault}/items/${f.item}`;
    const statuses = await pool(
      Array.from({ length: 600 }, (_, i) =>
        i % 3 === 0
          ? get(itemUrl, { authorization: `Bearer ${f.read.token}` })
          : i % 3 === 1
            ? get(itemUrl, { authorization: `Bearer ${f.writeOnly.token}` })
            : get(itemUrl, { authorization: 'Bearer garbage' }),
      ),
      24,
    );
    expect(statuses.filter((s) => s === 200)).toHaveLength(200);
    expect(statuses.filter((s) => s === 403)).toHaveLength(200);
    expect(statuses.filter((s) => s === 401)).toHaveLength(200);
    await f.t.services.refusals.close();
    const events = await allEvents(f.t);
    const reads = events.filter((e) => e.tokenId === f.read.id);
    expect(reads).toHaveLength(200);
    expect(reads.every((e) => e.result === 'SUCCESS' && e.action === 'READ' && e.count === 1)).toBe(true);
    expect(new Set(reads.map((e) => e.requestId)).size).toBe(200);
    const denied = events.filter((e) => e.tokenId === f.writeOnly.id);
    expect(denied).toHaveLength(200);
    expect(denied.every((e) => e.result === 'DENY' && e.count === 1)).toBe(true);
  });
});

describe('the central RPC endpoint', () => {
  it('truncates a long User-Agent sent by a remote Connect server instead of refusing the call', async () => {
    const f = await fixture();
    const rpc = (token: string, requestId: string) =>
      f.t.app.inject({
        method: 'POST',
        url: '/api/connect-server/v1/rpc/listItems',
        headers: { authorization: `Bearer ${f.serverSecret}`, 'content-type': 'application/json' },
        payload: JSON.stringify({
          call: { token, requestId, ip: '198.51.100.7', userAgent: LONG_UA },
          args: [f.vault],
        }),
      });
    const refused = await rpc('garbage', 'rpc-refused');
    expect(refused.statusCode).toBe(401);
    const allowed = await rpc(f.read.token, 'rpc-allowed');
    expect(allowed.statusCode).toBe(200);
    const events = await allEvents(f.t);
    for (const requestId of ['rpc-refused', 'rpc-allowed']) {
      const event = events.find((e) => e.requestId === requestId);
      expect(event?.userAgent).toBe(LONG_UA.slice(0, 256));
    }
  });
});
