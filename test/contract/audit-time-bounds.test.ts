import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { newId } from '../../src/crypto/ids.js';
import type { AuditEventInput, Storage } from '../../src/storage/ports.js';
import { openSqlite } from '../../src/storage/sqlite/open.js';

// A time filter bounds the walk of the trail by the smallest and largest seq of the events in the
// range (audit.ts). Events are stamped before they are appended, so a trail's occurred_at is not
// always in seq order (a slow request's event lands after a quicker, later one; a clock steps
// back): the bounds must still find every event of the range.
const dir = mkdtempSync(join(tmpdir(), 'keyhold-audit-time-'));
let n = 0;
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('audit time filters on a trail stamped out of order (SQLite)', () => {
  let storage: Storage;
  let accountId: string;
  beforeEach(async () => {
    storage = await openSqlite(join(dir, `db-${n++}.sqlite`));
    accountId = newId();
    await storage.accounts.insert({ id: accountId, name: 'Acme', createdAt: '2026-01-01T00:00:00.000Z' });
    // Appended in this order (seq 1-6); each event's itemVersion is its day of January.
    for (const day of [5, 1, 9, 3, 7, 2]) await storage.audit.append(event(accountId, day));
  });
  afterEach(() => storage.close());

  const event = (account: string, day: number): AuditEventInput => ({
    occurredAt: `2026-01-${String(day).padStart(2, '0')}T12:00:00.000Z`,
    accountId: account,
    actorType: 'user',
    actorId: day % 2 ? 'alice' : 'bob',
    tokenId: null,
    action: 'READ',
    resourceType: 'ITEM',
    resourceId: null,
    vaultId: null,
    itemId: null,
    itemVersion: day,
    result: 'SUCCESS',
    requestId: null,
    ip: null,
    userAgent: null,
  });
  const day = (d: number) => `2026-01-${String(d).padStart(2, '0')}T00:00:00.000Z`;
  const days = async (filter: {
    since?: string;
    until?: string;
    actorId?: string;
    beforeSeq?: number;
    limit?: number;
  }) => (await storage.audit.list(accountId, { limit: 50, ...filter })).map((e) => e.itemVersion);

  it('returns every event of the range, newest appended first', async () => {
    expect(await days({ since: day(4) })).toEqual([7, 9, 5]);
    expect(await days({ until: day(4) })).toEqual([2, 3, 1]);
    expect(await days({ since: day(2), until: day(8) })).toEqual([2, 7, 3, 5]);
    expect(await days({ since: day(2), until: day(8), actorId: 'alice' })).toEqual([7, 3, 5]);
    expect(await days({ since: day(10) })).toEqual([]);
    expect(await days({ until: day(1) })).toEqual([]);
  });

  it('pages the range by seq', async () => {
    const first = await storage.audit.list(accountId, { limit: 2, since: day(2), until: day(8) });
    expect(first.map((e) => e.itemVersion)).toEqual([2, 7]);
    expect(await days({ since: day(2), until: day(8), limit: 2, beforeSeq: first[1]?.seq })).toEqual([3, 5]);
  });
});
