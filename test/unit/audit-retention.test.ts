import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { newId } from '../../src/crypto/ids.js';
import { PRUNE_BATCH, pruneAudit } from '../../src/domain/audit/retention.js';
import type { AuditEventInput, AuditResult, Storage } from '../../src/storage/ports.js';
import { openSqlite } from '../../src/storage/sqlite/open.js';

/** Audit retention over a real SQLite file: each result pruned by its own window. */
let dir: string;
let storage: Storage;
const accountId = newId();
const now = new Date('2026-06-30T12:00:00.000Z');
const daysAgo = (days: number) => new Date(now.getTime() - days * 86_400_000).toISOString();

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'keyhold-retention-'));
  storage = await openSqlite(join(dir, 'db.sqlite'));
});
afterEach(async () => {
  await storage.close();
  rmSync(dir, { recursive: true, force: true });
});

const event = (occurredAt: string, result: AuditResult, n: number): AuditEventInput => ({
  occurredAt,
  accountId,
  actorType: 'connect_token',
  actorId: 'unknown',
  tokenId: null,
  action: 'READ',
  resourceType: 'ITEM',
  resourceId: null,
  vaultId: null,
  itemId: null,
  itemVersion: n,
  result,
  requestId: null,
  ip: '203.0.113.1',
  userAgent: null,
});

/** Appends many events in one transaction (fast), all at `occurredAt`. */
const appendMany = (occurredAt: string, result: AuditResult, count: number) =>
  storage.transaction(async (tx) => {
    for (let n = 0; n < count; n++) await tx.audit.append(event(occurredAt, result, n));
  });

const remaining = async () => {
  const all = await storage.audit.list(accountId, { limit: 10_000 });
  return {
    success: all.filter((e) => e.result === 'SUCCESS').length,
    deny: all.filter((e) => e.result === 'DENY').length,
    failure: all.filter((e) => e.result === 'FAILURE').length,
  };
};

describe('audit retention', () => {
  it('prunes refusals by their own window and keeps successes of the same age', async () => {
    await appendMany(daysAgo(400), 'SUCCESS', 3); // past both windows
    await appendMany(daysAgo(100), 'SUCCESS', 4); // past the refusal window only: kept
    await appendMany(daysAgo(100), 'DENY', 5);
    await appendMany(daysAgo(31), 'DENY', 6);
    await appendMany(daysAgo(29), 'DENY', 7);
    await appendMany(daysAgo(1), 'SUCCESS', 8);
    const pruned = await pruneAudit(storage.audit, { successDays: 365, refusalDays: 30 }, now);
    expect(pruned).toEqual({ success: 3, failures: 0, refusals: 11 });
    expect(await remaining()).toEqual({ success: 12, deny: 7, failure: 0 });
    // A second run finds nothing more.
    expect(await pruneAudit(storage.audit, { successDays: 365, refusalDays: 30 }, now)).toEqual({
      success: 0,
      failures: 0,
      refusals: 0,
    });
  });

  it('keeps failed writes as long as successes: both are actions of authenticated callers', async () => {
    await appendMany(daysAgo(400), 'FAILURE', 2); // past both windows
    await appendMany(daysAgo(100), 'FAILURE', 3); // past the refusal window only: kept
    await appendMany(daysAgo(100), 'DENY', 1);
    const pruned = await pruneAudit(storage.audit, { successDays: 365, refusalDays: 30 }, now);
    expect(pruned).toEqual({ success: 0, failures: 2, refusals: 1 });
    expect(await remaining()).toEqual({ success: 0, deny: 0, failure: 3 });
  });

  it('works through a backlog larger than one batch', async () => {
    await appendMany(daysAgo(60), 'DENY', PRUNE_BATCH * 2 + 17);
    await appendMany(daysAgo(2), 'DENY', 3);
    const pruned = await pruneAudit(storage.audit, { successDays: 365, refusalDays: 30 }, now);
    expect(pruned.refusals).toBe(PRUNE_BATCH * 2 + 17);
    expect(await remaining()).toEqual({ success: 0, deny: 3, failure: 0 });
  });

  it('keeps everything of a result whose retention is 0', async () => {
    await appendMany(daysAgo(5000), 'SUCCESS', 2);
    await appendMany(daysAgo(5000), 'DENY', 2);
    expect(await pruneAudit(storage.audit, { successDays: 0, refusalDays: 0 }, now)).toEqual({
      success: 0,
      failures: 0,
      refusals: 0,
    });
    expect(await pruneAudit(storage.audit, { successDays: 0, refusalDays: 1 }, now)).toEqual({
      success: 0,
      failures: 0,
      refusals: 2,
    });
    expect(await remaining()).toEqual({ success: 2, deny: 0, failure: 0 });
  });

  it('prunes while events are being appended, losing none of the recent ones', async () => {
    await appendMany(daysAgo(90), 'DENY', PRUNE_BATCH * 3);
    const appends = Array.from({ length: 200 }, (_, n) => storage.audit.append(event(daysAgo(0), 'DENY', n)));
    const [pruned] = await Promise.all([
      pruneAudit(storage.audit, { successDays: 365, refusalDays: 30 }, now),
      ...appends,
    ]);
    expect(pruned.refusals).toBe(PRUNE_BATCH * 3);
    expect(await remaining()).toEqual({ success: 0, deny: 200, failure: 0 });
  });
});
