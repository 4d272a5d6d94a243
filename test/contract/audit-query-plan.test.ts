import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { type CompiledQuery, Kysely, SqliteDialect } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditFilter } from '../../src/storage/ports.js';
import { auditStore } from '../../src/storage/sql/audit.js';
import { migrate } from '../../src/storage/sql/storage.js';
import type { Database } from '../../src/storage/sql/tables.js';

// SQLite's plan for each filtered read of the trail, asked of the very SQL the store runs: the
// common filters must be answered through an index that narrows by what they name, not by
// walking the account's whole trail in (account_id, seq) order.
const dir = mkdtempSync(join(tmpdir(), 'keyhold-plan-'));
const raw = new BetterSqlite3(join(dir, 'plan.sqlite'));
let last: CompiledQuery | undefined;
const db = new Kysely<Database>({
  dialect: new SqliteDialect({ database: raw }),
  log: (event) => {
    if (event.level === 'query') last = event.query;
  },
});
const store = auditStore(db);

beforeAll(() => migrate(db, { blob: 'blob', serialPrimaryKey: 'integer primary key autoincrement' }));
afterAll(async () => {
  await db.destroy();
  rmSync(dir, { recursive: true, force: true });
});

async function plan(filter: AuditFilter & { beforeSeq?: number }): Promise<string[]> {
  await store.list('acct', { limit: 50, ...filter });
  if (!last) throw new Error('no query ran');
  const rows = raw.prepare(`explain query plan ${last.sql}`).all(...(last.parameters as unknown[])) as {
    detail: string;
  }[];
  return rows.map((r) => r.detail);
}

const SINCE = '2026-01-01T00:00:00.000Z';
const UNTIL = '2026-01-02T00:00:00.000Z';

describe('audit filters on SQLite (EXPLAIN QUERY PLAN)', () => {
  it.each([
    ['actor', { actorId: 'a' }, ['audit_account_actor_seq (account_id=? AND actor_id=?)']],
    [
      'actor, paging back',
      { actorId: 'a', beforeSeq: 9 },
      ['audit_account_actor_seq (account_id=? AND actor_id=? AND seq<?)'],
    ],
    [
      'resource id (three columns)',
      { resourceId: 'r' },
      [
        'audit_account_resource_id_seq (account_id=? AND resource_id=?)',
        'audit_account_vault_id_seq (account_id=? AND vault_id=?)',
        'audit_account_item_id_seq (account_id=? AND item_id=?)',
      ],
    ],
    ['since', { since: SINCE }, ['audit_account_occurred (account_id=? AND occurred_at>?)']],
    ['until', { until: UNTIL }, ['audit_account_occurred (account_id=? AND occurred_at<?)']],
    [
      'time range',
      { since: SINCE, until: UNTIL },
      ['audit_account_occurred (account_id=? AND occurred_at>? AND occurred_at<?)'],
    ],
  ] as const)('%s is read through its index', async (_, filter, indexes) => {
    const steps = await plan(filter);
    for (const index of indexes) expect(steps.some((s) => s.includes(index))).toBe(true);
    expect(steps.filter((s) => /^SCAN audit_events\b/.test(s))).toEqual([]);
    expect(steps).not.toContain('SEARCH audit_events USING INDEX audit_account_seq (account_id=?)');
  });

  it('reads the unfiltered trail by (account_id, seq), newest first, without sorting', async () => {
    expect(await plan({})).toEqual(['SEARCH audit_events USING INDEX audit_account_seq (account_id=?)']);
  });
});
