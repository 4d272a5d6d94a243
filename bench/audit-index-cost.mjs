#!/usr/bin/env node
// What audit filter indexes cost each audited write, and what a filtered read costs with the
// index migration 0014 keeps. Write cost: WAL pages written per commit of `batch` read events
// (a deterministic measure, unlike time on a shared machine), over a trail of `prefill` events,
// with no filter index, each candidate alone, the one 0014 creates, and all five candidates; and
// 0018's index of Connect tokens' last use beside 0014's.
// Read time (with --reads N): the median of N runs of each typical filtered page (limit 50)
// through the store's own query, on the same trail with 0014's index, beside the unfiltered
// page. Events spread over 20 actors, 50 vaults and 5000 items, 10 ms apart.
//
//   npm run build && node bench/audit-index-cost.mjs [--prefill 200000] [--batch 64] [--commits 300]
//   npm run build && node bench/audit-index-cost.mjs --reads 21 [--prefill 200000]
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { median, parseArgs, ROOT } from './lib.mjs';

const { prefill, batch, commits, reads } = parseArgs({ prefill: 200000, batch: 64, commits: 300, reads: 0 });
const { openSqlite } = await import(pathToFileURL(join(ROOT, 'dist', 'storage/sqlite/open.js')).href);
const Database = createRequire(join(ROOT, 'package.json'))('better-sqlite3');

// The candidates: an index for each filter that names a value. 0014 keeps time.
const INDEXES = {
  actor: 'create index audit_account_actor_seq on audit_events (account_id, actor_id, seq)',
  'resource id': `create index audit_account_resource_id_seq on audit_events (account_id, resource_id, seq)
    where resource_id is not null`,
  vault: `create index audit_account_vault_id_seq on audit_events (account_id, vault_id, seq)
    where vault_id is not null`,
  item: `create index audit_account_item_id_seq on audit_events (account_id, item_id, seq)
    where item_id is not null`,
  time: 'create index audit_account_occurred on audit_events (account_id, occurred_at)',
  // Not a filter's: the last use of Connect tokens (0018). Every event here is a Connect token's.
  'token last use': `create index audit_token_occurred on audit_events (token_id, occurred_at)
    where actor_type = 'connect_token'`,
};
const MIGRATED = ['audit_account_occurred', 'audit_token_occurred'];
let seed = 1;
const id = () => {
  let s = '';
  while (s.length < 26) {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    s += seed.toString(36);
  }
  return s.slice(0, 26);
};
const actors = Array.from({ length: 20 }, id);
const vaults = Array.from({ length: 50 }, id);
const items = Array.from({ length: 5000 }, id);
const dir = mkdtempSync(join(tmpdir(), 'keyhold-audit-index-'));

const at = (n) => new Date(1767225600000 + n * 10).toISOString();
const insertSql = `insert into audit_events (occurred_at, account_id, actor_type, actor_id, token_id, action,
  resource_type, resource_id, vault_id, item_id, item_version, result, request_id, ip, user_agent, count)
  values (?, 'acct', 'connect_token', ?, ?, 'READ', 'ITEM', null, ?, ?, 1, 'SUCCESS', ?, '10.0.0.1', 'ua/1', 1)`;
const putter = (insert) => (n) =>
  insert.run(
    at(n),
    actors[n % actors.length],
    actors[n % actors.length],
    vaults[n % vaults.length],
    items[(n * 7919) % items.length],
    id(),
  );

/** A migrated database with `keep` of the candidate indexes and a trail of `prefill` events. */
async function trail(file, keep) {
  await (await openSqlite(file)).close();
  const db = new Database(file);
  db.pragma('synchronous = NORMAL');
  for (const index of MIGRATED) db.exec(`drop index ${index}`);
  for (const index of keep) db.exec(INDEXES[index]);
  const put = putter(db.prepare(insertSql));
  db.transaction(() => {
    for (let n = 0; n < prefill; n++) put(n);
  })();
  return { db, put };
}

async function writeCost(name, keep) {
  const file = join(dir, `${name}.sqlite`);
  const { db, put } = await trail(file, keep);
  let n = prefill;
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.pragma('wal_autocheckpoint = 0');
  const before = statSync(`${file}-wal`).size;
  for (let c = 0; c < commits; c++)
    db.transaction(() => {
      for (let j = 0; j < batch; j++) put(n++);
    })();
  const pages = (statSync(`${file}-wal`).size - before) / (db.pragma('page_size', { simple: true }) + 24);
  console.log(`${name.padEnd(30)} ${(pages / commits).toFixed(1)} WAL pages per commit of ${batch}`);
  db.close();
}

async function readTimes() {
  const file = join(dir, 'read.sqlite');
  (await trail(file, ['resource id', 'time'])).db.close();
  const storage = await openSqlite(file);
  const last10 = at(Math.floor(prefill * 0.9));
  const queries = [
    ['no filter (newest page)', {}],
    ['actor (1 of 20)', { actorId: actors[3] }],
    ['actor + since (last 10%)', { actorId: actors[3], since: last10 }],
    ['resource id = a vault id (1 of 50)', { resourceId: vaults[7] }],
    ['since (last 10%)', { since: last10 }],
    ['since + until (10% mid-trail)', { since: at(prefill * 0.45), until: at(prefill * 0.55) }],
    ['until (first 10%)', { until: at(prefill * 0.1) }],
    ['actor with no events', { actorId: 'nobody' }],
    ['resource id = an item id', { resourceId: items[42] }],
    ['since (whole trail)', { since: at(0) }],
  ];
  /** The median time of the page, after two runs that warm the page cache, and its length. */
  const time = async (filter) => {
    const runs = [];
    let found = 0;
    for (let r = 0; r < reads + 2; r++) {
      const start = process.hrtime.bigint();
      found = (await storage.audit.list('acct', { limit: 50, ...filter })).length;
      if (r >= 2) runs.push(Number(process.hrtime.bigint() - start) / 1e6);
    }
    return { ms: median(runs), found };
  };
  console.log(`read time of a page of 50, median of ${reads}, ${prefill} events, node ${process.version}`);
  let base;
  for (const [name, filter] of queries) {
    const { ms, found } = await time(filter);
    base ??= ms;
    console.log(
      `${name.padEnd(38)} ${ms.toFixed(2).padStart(8)} ms ${`${(ms / base).toFixed(1)}x`.padStart(8)}  ${found} events`,
    );
  }
  await storage.close();
}

if (reads > 0) await readTimes();
else {
  await writeCost('none', []);
  for (const index of Object.keys(INDEXES)) await writeCost(index, [index]);
  await writeCost('0014 (time)', ['time']);
  await writeCost('0014 + 0018 (time, token last use)', ['time', 'token last use']);
  await writeCost(
    'all five filter indexes',
    Object.keys(INDEXES).filter((i) => i !== 'token last use'),
  );
}
rmSync(dir, { recursive: true, force: true });
