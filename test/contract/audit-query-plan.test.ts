import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { type CompiledQuery, Kysely, SqliteDialect } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditFilter } from '../../src/storage/ports.js';
import { auditStore } from '../../src/storage/sql/audit.js';
import { DIALECT_TYPES } from '../../src/storage/sql/migrations.js';
import { migrate } from '../../src/storage/sql/storage.js';
import type { Database } from '../../src/storage/sql/tables.js';

// SQLite's plan for each filtered read of the trail, asked of the very SQL the store runs. Every
// filter walks the account's trail newest first by (account_id, seq), in the order the page is
// returned, so the LIMIT ends the walk (no sort of every match first). A time range bounds that
// walk by seq, the bounds read from the (account_id, occurred_at) index alone.
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

beforeAll(() => migrate(db, DIALECT_TYPES.sqlite));
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

const WALK = 'SEARCH audit_events USING INDEX audit_account_seq (account_id=?)';

describe('audit filters on SQLite (EXPLAIN QUERY PLAN)', () => {
  it.each([
    ['no filter', {}, WALK],
    ['actor', { actorId: 'a' }, WALK],
    ['actor, paging back', { actorId: 'a', beforeSeq: 9 }, `${WALK.slice(0, -1)} AND seq<?)`],
    ['resource id (three columns)', { resourceId: 'r' }, WALK],
    ['resource id and resource type', { resourceId: 'r', resourceType: 'VAULT' }, WALK],
    ['action and result', { action: 'READ', result: 'DENY' }, WALK],
  ] as const)('%s walks the trail newest first and stops at the limit', async (_, filter, walk) => {
    expect(await plan(filter)).toEqual([walk]);
  });

  it.each([
    ['since', { since: SINCE }, 'seq>?', 'occurred_at>?'],
    ['until', { until: UNTIL }, 'seq<?', 'occurred_at<?'],
    ['time range', { since: SINCE, until: UNTIL }, 'seq>? AND seq<?', 'occurred_at>? AND occurred_at<?'],
    ['actor and since', { actorId: 'a', since: SINCE }, 'seq>?', 'occurred_at>?'],
    [
      'resource id, time range, paging back',
      { resourceId: 'r', since: SINCE, until: UNTIL, beforeSeq: 9 },
      'seq>? AND seq<?',
      'occurred_at>? AND occurred_at<?',
    ],
  ] as const)(
    '%s walks the trail between the seqs the time index bounds it to',
    async (_, filter, bounds, range) => {
      const [walk, ...rest] = await plan(filter);
      expect(walk).toBe(`${WALK.slice(0, -1)} AND ${bounds})`);
      // One lookup per bound (the smallest seq for `since`, the largest for `until`), index only.
      const bound = `SEARCH audit_events USING COVERING INDEX audit_account_occurred (account_id=? AND ${range})`;
      const lookups = rest.filter((s) => s.startsWith('SEARCH'));
      expect(lookups).toEqual(Array(('since' in filter ? 1 : 0) + ('until' in filter ? 1 : 0)).fill(bound));
      expect(rest.filter((s) => /TEMP B-TREE|^SCAN audit_events\b/.test(s))).toEqual([]);
    },
  );
});

describe('the last use of tokens on SQLite (EXPLAIN QUERY PLAN)', () => {
  it('finds each token’s newest event by one step of the (token_id, occurred_at) index, in one query', async () => {
    last = undefined;
    await store.newestConnectTokenUses('acct', ['t1', 't2', 't3'], ['SUCCESS', 'FAILURE']);
    const query = last as CompiledQuery | undefined;
    if (!query) throw new Error('no query ran');
    const rows = raw.prepare(`explain query plan ${query.sql}`).all(...(query.parameters as unknown[])) as {
      detail: string;
    }[];
    const details = rows.map((r) => r.detail);
    expect(details).toContain('SEARCH a USING INDEX audit_token_occurred (token_id=?)');
    // Neither the account's trail nor the table is walked, and nothing is sorted.
    expect(details.filter((d) => /SCAN a\b|TEMP B-TREE|audit_account/.test(d))).toEqual([]);
  });
});
