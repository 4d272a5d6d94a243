#!/usr/bin/env node
// What the audit filter indexes (migration 0014) cost each audited write: WAL pages written per
// commit of `batch` read events (a deterministic measure, unlike time on a shared machine), over
// a trail of `prefill` events, with no 0014 index, each one alone, all but the item index, and all.
// Events spread over 20 actors, 50 vaults and 5000 items.
//
//   npm run build && node bench/audit-index-cost.mjs [--prefill 200000] [--batch 64] [--commits 300]
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs, ROOT } from './lib.mjs';

const { prefill, batch, commits } = parseArgs({ prefill: 200000, batch: 64, commits: 300 });
const { openSqlite } = await import(pathToFileURL(join(ROOT, 'dist', 'storage/sqlite/open.js')).href);
const Database = createRequire(join(ROOT, 'package.json'))('better-sqlite3');

const INDEXES = [
  'audit_account_actor_seq',
  'audit_account_resource_id_seq',
  'audit_account_vault_id_seq',
  'audit_account_item_id_seq',
  'audit_account_occurred',
];
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

async function run(name, keep) {
  const file = join(dir, `${name}.sqlite`);
  await (await openSqlite(file)).close();
  const db = new Database(file);
  db.pragma('synchronous = NORMAL');
  for (const index of INDEXES) if (!keep.includes(index)) db.exec(`drop index ${index}`);
  const insert = db.prepare(
    `insert into audit_events (occurred_at, account_id, actor_type, actor_id, token_id, action, resource_type,
     resource_id, vault_id, item_id, item_version, result, request_id, ip, user_agent, count)
     values (?, 'acct', 'connect_token', ?, ?, 'READ', 'ITEM', null, ?, ?, 1, 'SUCCESS', ?, '10.0.0.1', 'ua/1', 1)`,
  );
  const put = (n) =>
    insert.run(
      new Date(1767225600000 + n * 10).toISOString(),
      actors[n % actors.length],
      actors[n % actors.length],
      vaults[n % vaults.length],
      items[(n * 7919) % items.length],
      id(),
    );
  let n = 0;
  db.transaction(() => {
    for (; n < prefill; n++) put(n);
  })();
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

await run('none', []);
for (const index of INDEXES) await run(index, [index]);
await run(
  'all-but-item',
  INDEXES.filter((i) => i !== 'audit_account_item_id_seq'),
);
await run('all', INDEXES);
rmSync(dir, { recursive: true, force: true });
