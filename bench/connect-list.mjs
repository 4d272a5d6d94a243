#!/usr/bin/env node
// Issue 21's large-vault rows: Connect's item list of a vault of `--items` real items, whole and
// filtered, through a Connect server hosted in process (`keyhold serve --connect`), against a bare
// node:http server answering the same summaries as JSON (serialised per request, as a server
// holding them would), in the same run. Audit and request logging stay on.
//
// Times, over `--runs` rounds taken in turns: the whole list (`GET /v1/vaults/{v}/items`) on both,
// `filter=title eq "…"` (one hit), and `filter=title co "…"` (a substring with a few hits), and
// prints p50 and max of each, the list's share of bare (bare p50 / Keyhold p50), and the server's
// RSS. Timing starts after `keyhold serve` logs "item indexes warmed".
//
//   npm run build && node bench/connect-list.mjs [--items 100000] [--runs 20]
import { rmSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { seedLargeVault, titleOf } from './large-vault.mjs';
import { api, keyhold, parseArgs, startLogged, stop } from './lib.mjs';

const { items: count, runs } = parseArgs({ items: 100000, runs: 20 });
const { dir, init, vault, seedSeconds } = await seedLargeVault(count);
console.error(`seeded ${count} items in ${seedSeconds.toFixed(1)} s`);

// A Connect server for the vault and a read token, made through the admin API.
const first = await startLogged(keyhold('serve', '--data-dir', dir, '--port', '0'), 'keyhold listening');
const server = await api(first.line.url, init.adminToken, 'POST', '/servers', {
  name: 'bench',
  vaults: [vault.id],
});
const credentialsFile = join(dir, 'credentials.json');
writeFileSync(credentialsFile, JSON.stringify(server.credentials), { mode: 0o600 });
const { token } = await api(first.line.url, init.adminToken, 'POST', `/servers/${server.id}/tokens`, {
  name: 'bench',
  vaults: [{ vaultId: vault.id, permissions: ['read'] }],
});
await stop(first.child);

const { child, output } = await startLogged(
  keyhold('serve', '--data-dir', dir, '--port', '0', '--connect', `${credentialsFile}:0`),
  'item indexes warmed',
  {},
  { timeoutMs: 300_000 },
);
const line = JSON.parse(output.split('\n').find((l) => l.includes('"msg":"keyhold listening"')));
const items = `${line.connectUrls[0]}/v1/vaults/${vault.id}/items`;

async function timed(url) {
  const start = performance.now();
  const response = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
  const body = await response.text();
  const ms = performance.now() - start;
  if (!response.ok) throw new Error(`${response.status} ${body.slice(0, 200)}`);
  return { ms, body };
}

const whole = await timed(items);
const summaries = JSON.parse(whole.body);
if (summaries.length !== count) throw new Error(`listed ${summaries.length}, expected ${count}`);
const bareFile = join(dir, 'summaries.json');
writeFileSync(bareFile, whole.body);
const bare = await startLogged(
  [
    '-e',
    `
    const http = require('node:http');
    const summaries = JSON.parse(require('node:fs').readFileSync(${JSON.stringify(bareFile)}, 'utf8'));
    const server = http.createServer((req, res) => {
      const body = JSON.stringify(summaries);
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    });
    server.listen(0, '127.0.0.1', () => console.log(JSON.stringify({ msg: 'bare listening', url: 'http://127.0.0.1:' + server.address().port })));
  `,
  ],
  'bare listening',
);

const filter = (expression) => `${items}?${new URLSearchParams({ filter: expression })}`;
const target = Math.floor(count / 3);
const requests = {
  'bare node:http, whole list': { url: bare.line.url, expect: count },
  'whole list': { url: items, expect: count },
  'filter=title eq (1 hit)': { url: filter(`title eq "${titleOf(target)}"`), expect: 1 },
  'filter=title co (few hits)': { url: filter(`title co "service ${target}"`), expect: undefined },
};
const times = Object.fromEntries(Object.keys(requests).map((k) => [k, []]));
const hits = {};
for (let r = 0; r < runs; r++) {
  for (const [name, { url, expect }] of Object.entries(requests)) {
    const { ms, body } = await timed(url);
    const found = JSON.parse(body).length;
    if (expect !== undefined && found !== expect)
      throw new Error(`${name}: ${found} items, expected ${expect}`);
    hits[name] = found;
    times[name].push(ms);
  }
}
const rss = Number(
  (await import('node:fs')).readFileSync(`/proc/${child.pid}/status`, 'utf8').match(/VmRSS:\s+(\d+)/)[1],
);
await Promise.all([stop(child), stop(bare.child)]);
rmSync(dir, { recursive: true, force: true });

const p50 = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const ms = (x) => `${x.toFixed(1)} ms`;
console.log(`vault of ${count} items (seeded in ${seedSeconds.toFixed(1)} s), ${runs} rounds`);
console.log(
  `server RSS after the run: ${(rss / 1024).toFixed(0)} MB; load average ${loadavg()
    .map((x) => x.toFixed(1))
    .join(' ')}`,
);
console.log(`first whole list after the warm-up: ${ms(whole.ms)}`);
for (const [name, xs] of Object.entries(times)) {
  console.log(
    `${name.padEnd(28)} p50 ${ms(p50(xs)).padStart(10)}  max ${ms(Math.max(...xs)).padStart(10)}  items ${hits[name]}`,
  );
}
const share = p50(times['bare node:http, whole list']) / p50(times['whole list']);
console.log(`whole list, share of bare (bare p50 / Keyhold p50): ${share.toFixed(2)}`);
