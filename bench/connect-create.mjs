#!/usr/bin/env node
// Item creates through Connect (`POST /v1/vaults/{v}/items`) against a bare node:http server
// answering the same POST with the created item's JSON, in one run (issue 21: at least 25% of
// bare's requests/s, p99 under 40 ms). The keyhold target is `keyhold serve` on its default
// storage (SQLite, synchronous=FULL) hosting the Connect server in process, audit and request
// logging on, as in production: every 2xx is an item and its CREATE event, both committed.
//
// The targets take turns over several rounds and each round's share of bare is taken against the
// bare figure of that same round (on a shared machine process speeds drift within minutes).
// `--profile 1` starts the keyhold server under `node --cpu-prof` and prints where the profile
// went (written when the server stops, after the last round). A first argument naming another
// checkout with dist/ built (e.g. the commit before a change, see connect-ab.mjs) adds that
// build as a third target, on a data directory of its own, taking turns with the others.
//
//   npm run build && node bench/connect-create.mjs [BASE_CHECKOUT] [--seconds 10] [--connections 32] [--rounds 3] [--profile 0]
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import {
  cliOf,
  cpuMicros,
  median,
  parseArgs,
  ROOT,
  requireWrk,
  seed,
  startBare,
  startLogged,
  stop,
  wrk,
} from './lib.mjs';

const args = process.argv.slice(2);
const baseDir = args[0] && !args[0].startsWith('--') ? resolve(args.shift()) : undefined;
const { seconds, connections, rounds, profile } = parseArgs(
  { seconds: 10, connections: 32, rounds: 3, profile: 0 },
  args,
);
requireWrk();
const profileDir = profile ? mkdtempSync(join(tmpdir(), 'keyhold-create-prof-')) : undefined;

/** A build's `keyhold serve` with its Connect server in process, on a data directory it seeded. */
async function startBuild(cli, { cpuProf = false } = {}) {
  const s = await seed(cli, { permissions: ['read', 'write'] });
  const server = await startLogged(
    [
      ...(cpuProf && profileDir ? ['--cpu-prof', '--cpu-prof-dir', profileDir] : []),
      cli,
      ...['serve', '--data-dir', s.dataDir, '--port', '0', '--connect', `${s.credentialsFile}:0`],
    ],
    'keyhold listening',
    {},
    { problems: true },
  );
  return { s, server, url: `${server.line.connectUrls[0]}/v1/vaults/${s.vaultId}/items` };
}
const self = await startBuild(cliOf(ROOT), { cpuProf: true });
const base = baseDir ? await startBuild(cliOf(baseDir)) : undefined;
const { s, server } = self;
const itemsUrl = self.url;

// A new LOGIN item with fixed values (no generated password), as an app would create it.
const postTo = (vaultId) => ({
  body: JSON.stringify({
    vault: { id: vaultId },
    title: 'bench write',
    category: 'LOGIN',
    tags: ['bench'],
    fields: [
      { purpose: 'USERNAME', value: 'app' },
      { purpose: 'PASSWORD', value: 'correct horse battery staple' },
      { label: 'host', type: 'STRING', value: 'db.internal' },
    ],
  }),
  headers: { 'content-type': 'application/json' },
});
const post = postTo(s.vaultId);
const created = await fetch(itemsUrl, {
  method: 'POST',
  headers: { authorization: `Bearer ${s.connectToken}`, ...post.headers },
  body: post.body,
});
const answer = await created.text();
if (created.status !== 200) throw new Error(`a Connect create answered ${created.status}: ${answer}`);
// The bare server answers every POST with the item keyhold just created (same size of answer).
const bare = await startBare(answer);

const targets = [
  { name: 'bare node:http', url: `${bare.line.url}/v1/vaults/${s.vaultId}/items`, child: bare.child, post },
  { name: 'connect create, in-process', url: itemsUrl, token: s.connectToken, child: server.child, post },
  ...(base
    ? [
        {
          name: 'base build, same',
          url: base.url,
          token: base.s.connectToken,
          child: base.server.child,
          post: postTo(base.s.vaultId),
        },
      ]
    : []),
];
for (const t of targets) t.runs = [];
for (let round = 0; round < rounds; round++) {
  // Each round in another order, so no target always runs right after the same other one.
  const order = targets.map((_, i) => targets[(i + round) % targets.length]);
  for (const t of order) {
    // Warm-up after the others' turns: JIT, caches, connections.
    await wrk(t.url, { connections, seconds: 2, token: t.token, post: t.post });
    const cpu0 = cpuMicros(t.child.pid);
    const main0 = cpuMicros(t.child.pid, { mainThread: true });
    const run = await wrk(t.url, { connections, seconds, token: t.token, post: t.post, allowFailures: true });
    run.cpu = (cpuMicros(t.child.pid) - cpu0) / run.requests;
    run.mainCpu = (cpuMicros(t.child.pid, { mainThread: true }) - main0) / run.requests;
    t.runs.push(run);
  }
}
await Promise.all([server, bare, ...(base ? [base.server] : [])].map((p) => stop(p.child)));

console.log(
  `POST /v1/vaults/{v}/items (${post.body.length}-byte body, ${answer.length}-byte answer), ${connections} connections, ` +
    `${rounds} rounds of ${seconds} s per target, node ${process.version}`,
);
console.log(
  'medians over the rounds (CPU per request: the server process, all threads, and its main thread alone: the serving thread, which a create saturates):',
);
console.log(
  'target                          req/s   p50 ms   p99 ms   vs bare   µs CPU/req   main µs/req   (each round)',
);
for (const t of targets) {
  const shares = t.runs.map((r, i) => (r.rps / targets[0].runs[i].rps) * 100);
  const m = (key) => median(t.runs.map((r) => r[key]));
  console.log(
    `${t.name.padEnd(28)} ${m('rps').toFixed(0).padStart(7)} ${m('p50').toFixed(2).padStart(8)} ${m('p99').toFixed(2).padStart(8)} ${median(shares).toFixed(1).padStart(8)}% ${m('cpu').toFixed(0).padStart(12)} ${m('mainCpu').toFixed(0).padStart(13)}   (${shares.map((x) => `${x.toFixed(1)}%`).join(' ')})`,
  );
}
const k = targets[1];
const share = median(k.runs.map((r, i) => (r.rps / targets[0].runs[i].rps) * 100));
const p99 = median(k.runs.map((r) => r.p99));
console.log(
  `connect create: ${share.toFixed(1)}% of bare (target >= 25%: ${share >= 25 ? 'met' : 'NOT met'}), p99 ${p99.toFixed(1)} ms (target < 40 ms: ${p99 < 40 ? 'met' : 'NOT met'})`,
);
if (base) {
  const ratios = k.runs.map((r, i) => r.rps / targets[2].runs[i].rps);
  const cpuRatios = k.runs.map((r, i) => r.mainCpu / targets[2].runs[i].mainCpu);
  console.log(
    `this build / base build, req/s: median ${median(ratios).toFixed(2)} (each round: ${ratios.map((x) => x.toFixed(2)).join(' ')}); ` +
      `main-thread CPU per request: median ${median(cpuRatios).toFixed(2)} (each round: ${cpuRatios.map((x) => x.toFixed(2)).join(' ')})`,
  );
}
for (const [t, p] of [
  [k, server],
  [targets[2], base?.server],
]) {
  if (!t) continue;
  const failed = t.runs.reduce((sum, r) => sum + r.failed + r.socketErrors, 0);
  if (failed || p.problems.lines.length) {
    console.log(
      `FAILURES of ${t.name}: ${failed} failed requests; logged ${JSON.stringify(p.problems.counts)}`,
    );
    for (const line of p.problems.lines) console.log(`  ${line}`);
    process.exitCode = 1;
  }
}
if (profileDir) console.log(`CPU profile of the server: ${profileDir}`);
