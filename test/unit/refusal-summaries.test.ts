import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { newId } from '../../src/crypto/ids.js';
import { recordAudit } from '../../src/domain/audit/audit-log.js';
import { MAX_USER_AGENT, truncate } from '../../src/domain/audit/bounds.js';
import {
  REFUSALS_WRITTEN_PER_ACCOUNT,
  REFUSALS_WRITTEN_PER_INTERVAL,
  RefusalSummaries,
  sourceAddress,
} from '../../src/domain/audit/refusal-summaries.js';
import type { RequestContext } from '../../src/domain/context.js';
import type { AuditEvent, Storage } from '../../src/storage/ports.js';
import { openSqlite } from '../../src/storage/sqlite/open.js';

/** The per-source aggregation of refusals, over a real SQLite file and a clock the test moves. */
let dir: string;
let storage: Storage;
let accountId: string;
let clock: number;
let summaries: RefusalSummaries | undefined;

const INTERVAL = 120;
const make = (options: { maxSources?: number } = {}) => {
  summaries = new RefusalSummaries(storage.audit, { now: () => clock, intervalMs: INTERVAL, ...options });
  return summaries;
};

const refusedFrom = (ip: string, userAgent = 'probe/1.0'): RequestContext => ({
  actor: { type: 'connect_token', id: 'unknown', accountId, tokenId: null },
  principal: { kind: 'connect', accountId, serverId: 's', grants: new Map(), serverVaults: new Set() },
  requestId: newId(),
  ip,
  userAgent,
});
const facts = { action: 'READ', resourceType: 'VAULT', result: 'DENY' } as const;

/** What the caller does with each refusal: write it when admitted (refusal-summaries.ts). */
const refuse = async (s: RefusalSummaries, ip: string, n: number) => {
  let written = 0;
  for (let i = 0; i < n; i++) {
    const ctx = refusedFrom(ip);
    if (s.admit(ctx, facts)) {
      written++;
      await recordAudit(storage.audit, ctx, facts);
    }
  }
  return written;
};

const events = async (): Promise<AuditEvent[]> => storage.audit.list(accountId, { limit: 1000 });
const summaryOf = (all: AuditEvent[], ip: string) => all.filter((e) => e.ip === ip && e.count > 1);

/** Waits (real time) for the sweep, which runs every sixth of the interval. */
const sweep = () => new Promise((resolve) => setTimeout(resolve, INTERVAL));

describe('refusal summaries', () => {
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'keyhold-refusals-'));
    storage = await openSqlite(join(dir, 'db.sqlite'));
    accountId = newId();
    clock = Date.parse('2026-03-01T10:00:00.000Z');
  });
  afterEach(async () => {
    await summaries?.close();
    summaries = undefined;
    await storage.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('writes a handful per source one by one, then one summary with the count when the interval ends', async () => {
    const s = make();
    expect(await refuse(s, '203.0.113.9', 40)).toBe(REFUSALS_WRITTEN_PER_INTERVAL);
    expect(await events()).toHaveLength(REFUSALS_WRITTEN_PER_INTERVAL);
    clock += INTERVAL;
    await sweep();
    const all = await events();
    const [summary, ...more] = summaryOf(all, '203.0.113.9');
    expect(more).toEqual([]);
    expect(summary).toMatchObject({
      count: 40 - REFUSALS_WRITTEN_PER_INTERVAL,
      action: 'READ',
      resourceType: 'VAULT',
      result: 'DENY',
      actorId: 'unknown',
      tokenId: null,
      requestId: null,
      userAgent: 'probe/1.0',
      occurredAt: '2026-03-01T10:00:00.000Z',
    });
    // The next interval starts a fresh budget.
    expect(await refuse(s, '203.0.113.9', 10)).toBe(REFUSALS_WRITTEN_PER_INTERVAL);
  });

  it('gives every source its own budget, and an IPv6 /64 counts as one source', async () => {
    const s = make();
    expect(await refuse(s, '203.0.113.1', 6)).toBe(5);
    expect(await refuse(s, '203.0.113.2', 6)).toBe(5);
    expect(await refuse(s, '::ffff:203.0.113.2', 3)).toBe(0);
    expect(await refuse(s, '2001:db8:1:2::1', 3)).toBe(3);
    expect(await refuse(s, '2001:db8:1:2:ffff::9', 3)).toBe(2);
    expect(await refuse(s, '2001:db8:1:3::1', 1)).toBe(1);
    await s.close();
    const all = await events();
    expect(summaryOf(all, '203.0.113.2')[0]?.count).toBe(4);
    expect(all.find((e) => e.ip === '2001:db8:1:2::/64')?.count).toBe(1);
    expect(all.filter((e) => e.result === 'DENY').reduce((n, e) => n + e.count, 0)).toBe(22);
  });

  it('bounds what an account writes one by one, however many sources the refusals come from', async () => {
    const s = make();
    // One client holding a /48 sends six refusals from each of 400 of its /64s.
    let written = 0;
    for (let n = 0; n < 400; n++) written += await refuse(s, `2001:db8:7:${n.toString(16)}::1`, 6);
    expect(written).toBe(REFUSALS_WRITTEN_PER_ACCOUNT);
    // Another account's budget is its own.
    const other = refusedFrom('192.0.2.200');
    other.actor = { ...other.actor, accountId: newId() };
    expect(s.admit(other, facts)).toBe(true);
    // The next interval starts a fresh budget.
    clock += INTERVAL;
    expect(await refuse(s, '2001:db8:7:ffff::1', 1)).toBe(1);
    await s.close();
    const all = await events();
    // Every refusal is counted once: the sources that spent the budget have their own summary,
    // the rest share one without an address.
    expect(all.reduce((n, e) => n + e.count, 0)).toBe(2401);
    const sources = REFUSALS_WRITTEN_PER_ACCOUNT / REFUSALS_WRITTEN_PER_INTERVAL;
    expect(all).toHaveLength(REFUSALS_WRITTEN_PER_ACCOUNT + sources + 1 + 1);
    const shared = all.filter((e) => e.ip === null);
    expect(shared).toHaveLength(1);
    expect(shared[0]).toMatchObject({ count: (400 - sources) * 6, requestId: null, actorId: 'unknown' });
  });

  it('keeps at most maxSources, writing the summary of an evicted source at once', async () => {
    const s = make({ maxSources: 2 });
    await refuse(s, '198.51.100.1', 8);
    await refuse(s, '198.51.100.2', 1);
    await refuse(s, '198.51.100.3', 1); // evicts .1, whose 3 counted refusals are written now
    await new Promise((resolve) => setImmediate(resolve));
    await s.close();
    const all = await events();
    expect(all.find((e) => e.ip === '198.51.100.1' && e.count > 1)?.count).toBe(3);
    expect(all.reduce((n, e) => n + e.count, 0)).toBe(10);
  });

  it('writes one summary per kind of call, and every open summary at close', async () => {
    const s = make();
    for (let i = 0; i < 9; i++) s.admit(refusedFrom('192.0.2.7'), facts);
    for (let i = 0; i < 4; i++)
      s.admit(refusedFrom('192.0.2.7'), { action: 'UPDATE', resourceType: 'ITEM', result: 'DENY' });
    await s.close();
    const all = await events();
    expect(all.map((e) => [e.action, e.resourceType, e.count]).sort()).toEqual([
      ['READ', 'VAULT', 4],
      ['UPDATE', 'ITEM', 4],
    ]);
    // After close, refusals are no longer counted away: each is to be written.
    expect(s.admit(refusedFrom('192.0.2.7'), facts)).toBe(true);
  });

  it('bounds the User-Agent of a summary like any event', async () => {
    const s = make();
    for (let i = 0; i < 7; i++) s.admit(refusedFrom('192.0.2.8', 'u'.repeat(20_000)), facts);
    await s.close();
    expect((await events())[0]?.userAgent).toHaveLength(MAX_USER_AGENT);
  });
});

describe('source address', () => {
  it.each([
    ['203.0.113.9', '203.0.113.9'],
    ['::ffff:203.0.113.9', '203.0.113.9'],
    ['2001:db8::1', '2001:db8:0:0::/64'],
    ['2001:0db8:0001:0002:0003:0004:0005:0006', '2001:db8:1:2::/64'],
    ['fe80::1%eth0', 'fe80:0:0:0::/64'],
    ['::1', '0:0:0:0::/64'],
    ['not an address', 'not an address'],
  ])('%s counts as %s', (ip, source) => {
    expect(sourceAddress(ip)).toBe(source);
  });
});

describe('truncate', () => {
  it('cuts at a code-point boundary, never inside a surrogate pair', () => {
    expect(truncate('abc', 5)).toBe('abc');
    expect(truncate('abcdef', 3)).toBe('abc');
    const emoji = `ab${'😀'}`; // 'a','b', high, low
    expect(truncate(emoji, 3)).toBe('ab');
    expect(truncate(emoji, 4)).toBe(emoji);
    expect(truncate('é'.repeat(300), 256)).toHaveLength(256);
  });
});
