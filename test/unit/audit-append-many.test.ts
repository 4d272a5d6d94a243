import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { newId } from '../../src/crypto/ids.js';
import type { AuditEventInput, Storage } from '../../src/storage/ports.js';
import { AUDIT_COLUMNS, manyChunks, toAuditRow, toAuditValues } from '../../src/storage/sql/audit.js';
import { openSqlite } from '../../src/storage/sqlite/open.js';

describe('manyChunks', () => {
  it('cuts any count into consecutive slices of the few sizes whose statements are reused', () => {
    for (const n of [0, 1, 9, 10, 11, 49, 50, 249, 250, 251, 337, 599, 999, 1000]) {
      const events = Array.from({ length: n }, (_, i) => i);
      const chunks = manyChunks(events);
      expect(chunks.flat()).toEqual(events);
      for (const chunk of chunks) expect([250, 50, 10, 1]).toContain(chunk.length);
      // Largest first: no chunk is followed by a larger one.
      const sizes = chunks.map((c) => c.length);
      expect(sizes).toEqual([...sizes].sort((a, b) => b - a));
    }
    // 337 = 250 + 50 + 3 × 10 + 7 × 1.
    expect(manyChunks(Array.from({ length: 337 }, (_, i) => i)).map((c) => c.length)).toEqual([
      250, 50, 10, 10, 10, 1, 1, 1, 1, 1, 1, 1,
    ]);
  });
});

describe('toAuditValues', () => {
  it("gives an event's row values in AUDIT_COLUMNS order", () => {
    const e: AuditEventInput = {
      occurredAt: '2026-01-01T00:00:00.000Z',
      accountId: 'acc',
      actorType: 'connect_token',
      actorId: 'actor',
      tokenId: 'tok',
      action: 'READ',
      resourceType: 'FILE',
      resourceId: 'file',
      vaultId: 'vault',
      itemId: 'item',
      itemVersion: 3,
      result: 'DENY',
      requestId: 'req',
      ip: '203.0.113.9',
      userAgent: 'agent',
      count: 7,
    };
    const row = toAuditRow(e) as Record<string, unknown>;
    expect(toAuditValues(e)).toEqual(AUDIT_COLUMNS.map((c) => row[c]));
    // Every value distinct: a swap of two columns would show.
    expect(new Set(toAuditValues(e)).size).toBe(AUDIT_COLUMNS.length);
    expect(toAuditValues({ ...e, count: undefined })).toEqual(
      Object.values(toAuditRow({ ...e, count: undefined })),
    );
  });
});

/** appendMany over a real SQLite file, with counts that take every statement size. */
describe('appendMany on SQLite', () => {
  let dir: string;
  let storage: Storage;
  const accountId = newId();
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'keyhold-append-many-'));
    storage = await openSqlite(join(dir, 'db.sqlite'));
    await storage.accounts.insert({ id: accountId, name: 'a', createdAt: new Date().toISOString() });
  });
  afterEach(async () => {
    await storage.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const event = (n: number): AuditEventInput => ({
    occurredAt: new Date(Date.UTC(2026, 0, 1, 0, 0, 0, n)).toISOString(),
    accountId,
    actorType: 'connect_token',
    actorId: 'tok',
    tokenId: 'tok',
    action: 'READ',
    resourceType: 'ITEM',
    resourceId: null,
    vaultId: `v${n}`,
    itemId: n % 2 ? `i${n}` : null,
    itemVersion: n,
    result: n % 3 ? 'SUCCESS' : 'DENY',
    requestId: `r${n}`,
    ip: `203.0.113.${n % 250}`,
    userAgent: n % 5 ? null : `agent ${n}`,
    ...(n % 7 ? {} : { count: n + 2 }),
  });

  it('stores every event once, in order, whatever the count', async () => {
    let next = 0;
    for (const n of [337, 1, 249, 600, 13]) {
      const events = Array.from({ length: n }, () => event(next++));
      await storage.transaction(async (tx) => tx.audit.appendMany(events));
    }
    const stored = await storage.audit.list(accountId, { limit: 2000 });
    // Newest first: itemVersion counts down from the last event appended.
    expect(stored.map((e) => e.itemVersion)).toEqual([...Array(next).keys()].reverse());
    // Every column of every event where it belongs, from statements of each size.
    for (const e of stored)
      expect(e).toMatchObject({ ...event(e.itemVersion as number), count: expect.any(Number) });
    for (const e of stored) expect(e.count).toBe(event(e.itemVersion as number).count ?? 1);
  });
});
