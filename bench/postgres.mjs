#!/usr/bin/env node
// Connect GET item and Connect item writes (POST /v1/vaults/{v}/items) on PostgreSQL with one and
// with two central nodes, on SQLite with one, and against a bare node:http server answering the
// same bodies, all in one run. It starts its own throwaway PostgreSQL cluster (initdb + pg_ctl in
// a temporary directory; as root, run as `nobody`) with PostgreSQL's durability defaults (fsync
// and synchronous_commit on), since writes are measured.
//
// Two nodes: node A and node B both run `serve --database-url … --connect CREDENTIALS:0`, hosting
// the same Connect server on the same database; two wrk processes run at once, one against each,
// with half the connections each, so the offered concurrency equals the one-node run. Their
// throughputs are summed; p50 and p99 are the worse of the two. Node B stays up, idle, during
// the one-node runs, and the CPU of every keyhold node on the database is counted in both.
//
// On a 2-core machine two nodes cannot scale, so each target also reports CPU per request: of the
// keyhold process(es), all threads (/proc/PID/stat), and of the PostgreSQL cluster (postmaster,
// its live children and those it has reaped), measured before and after each timed run. The load
// generator's CPU is not counted. The targets take turns over the rounds, in a different order
// each round (machine drift), and every figure is the median over the rounds. After each timed
// run the harness waits for the servers to go idle, so requests wrk left in flight are not paid
// by the next target. Failed requests (non-2xx, socket errors) are counted, never retried, and
// what the nodes logged about them is printed.
//
//   npx tsc -p tsconfig.build.json && node bench/postgres.mjs [--seconds 4] [--rounds 3] [--connections 50]
import { availableParallelism, loadavg } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  cpuMicros,
  itemBody,
  median,
  parseArgs,
  requireWrk,
  seed,
  startBare,
  startInProcess,
  stop,
  wrk,
} from './lib.mjs';
import { startPostgres } from './postgres-cluster.mjs';

const { seconds, rounds, connections } = parseArgs({ seconds: 4, rounds: 3, connections: 50 });
const WARM_UP_SECONDS = 1;
// A write waiting on PostgreSQL can take longer than wrk's default of 2 s; it is a latency here,
// not a dropped request.
const WRK_TIMEOUT_SECONDS = 10;
requireWrk();

const cluster = await startPostgres();
const [pgVersion, pgSettings] = await Promise.all([
  cluster.version(),
  cluster.show(['fsync', 'synchronous_commit', 'full_page_writes', 'wal_sync_method', 'shared_buffers']),
]);

// A read-and-write token, so one token serves both the GETs and the writes.
const permissions = ['read', 'write'];
const onSqlite = await seed(undefined, { permissions });
const onPostgres = await seed(undefined, { permissions, databaseUrl: await cluster.createDatabase() });
const sqliteNode = await startInProcess(onSqlite, undefined, { problems: true });
const [nodeA, nodeB] = [
  await startInProcess(onPostgres, undefined, { problems: true }),
  await startInProcess(onPostgres, undefined, { problems: true }),
];

// The write: a new LOGIN item with fixed values (no generated password), as an app would create it.
const write = (s) => ({
  body: JSON.stringify({
    vault: { id: s.vaultId },
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
const itemsUrl = (node, s) => `${node.line.connectUrls[0]}/v1/vaults/${s.vaultId}/items`;

// The bare servers answer what keyhold answers: the seeded item, and the item a write creates.
const getBody = await itemBody(nodeA.itemUrl, onPostgres.connectToken);
const created = await fetch(itemsUrl(nodeA, onPostgres), {
  method: 'POST',
  headers: { authorization: `Bearer ${onPostgres.connectToken}`, ...write(onPostgres).headers },
  body: write(onPostgres).body,
});
const postBody = await created.text();
if (created.status !== 200)
  throw new Error(`a Connect write on PostgreSQL answered ${created.status}: ${postBody}`);
const [bareGet, barePost] = [await startBare(getBody), await startBare(postBody)];

// One load: a URL on one server; several loads of a target run at once and share its connections.
const load = (server, url, token, post) => ({ server, url, token, post });
const pgNodes = [nodeA, nodeB];
const targets = [
  { kind: 'GET', name: 'bare node:http', loads: [load(bareGet, bareGet.line.url + onPostgres.path)] },
  {
    kind: 'GET',
    name: 'SQLite, one node',
    nodes: [sqliteNode],
    loads: [load(sqliteNode, sqliteNode.itemUrl, onSqlite.connectToken)],
  },
  {
    kind: 'GET',
    name: 'PostgreSQL, one node',
    nodes: pgNodes,
    loads: [load(nodeA, nodeA.itemUrl, onPostgres.connectToken)],
  },
  {
    kind: 'GET',
    name: 'PostgreSQL, two nodes',
    nodes: pgNodes,
    loads: pgNodes.map((n) => load(n, n.itemUrl, onPostgres.connectToken)),
  },
  {
    kind: 'write',
    name: 'bare node:http',
    loads: [
      load(
        barePost,
        `${barePost.line.url}/v1/vaults/${onPostgres.vaultId}/items`,
        undefined,
        write(onPostgres),
      ),
    ],
  },
  {
    kind: 'write',
    name: 'SQLite, one node',
    nodes: [sqliteNode],
    loads: [load(sqliteNode, itemsUrl(sqliteNode, onSqlite), onSqlite.connectToken, write(onSqlite))],
  },
  {
    kind: 'write',
    name: 'PostgreSQL, one node',
    nodes: pgNodes,
    loads: [load(nodeA, itemsUrl(nodeA, onPostgres), onPostgres.connectToken, write(onPostgres))],
  },
  {
    kind: 'write',
    name: 'PostgreSQL, two nodes',
    nodes: pgNodes,
    loads: pgNodes.map((n) => load(n, itemsUrl(n, onPostgres), onPostgres.connectToken, write(onPostgres))),
  },
];

/** The processes whose CPU a target pays: its keyhold nodes, or the bare server. */
const processes = (t) => (t.nodes ?? [t.loads[0].server]).map((n) => n.child.pid);
const keyholdCpu = (t) => processes(t).reduce((sum, pid) => sum + cpuMicros(pid), 0);

/** All of a target's loads at once for `secs`, its connections split between them. */
async function runTarget(t, secs) {
  const share = (i) => Math.floor(connections / t.loads.length) + (i < connections % t.loads.length ? 1 : 0);
  const results = await Promise.all(
    t.loads.map((l, i) =>
      wrk(l.url, {
        connections: share(i),
        seconds: secs,
        token: l.token,
        post: l.post,
        allowFailures: true,
        timeout: WRK_TIMEOUT_SECONDS,
      }),
    ),
  );
  const sum = (key) => results.reduce((s, r) => s + r[key], 0);
  const worst = (key) => Math.max(...results.map((r) => r[key]));
  return {
    rps: sum('rps'),
    parts: results.map((r) => r.rps),
    requests: sum('requests'),
    failed: sum('failed'),
    socketErrors: sum('socketErrors'),
    p50: worst('p50'),
    p99: worst('p99'),
  };
}

/**
 * Waits (at most 5 s) until every server and PostgreSQL are nearly idle: wrk leaves requests in
 * flight when it stops (a write waiting on a lock can take a second or more), and their work must
 * not land in the next target's figures.
 */
const everyone = [sqliteNode, nodeA, nodeB, bareGet, barePost].map((n) => n.child.pid);
const allCpu = () => everyone.reduce((sum, pid) => sum + cpuMicros(pid), 0) + cluster.cpuMicros();
async function settle() {
  for (let waited = 0, last = allCpu(); waited < 5000; waited += 200) {
    await sleep(200);
    const now = allCpu();
    if (now - last <= 20_000) return; // under a tenth of a core over the last 200 ms
    last = now;
  }
}

const load0 = loadavg()[0];
const started = Date.now();
for (const t of targets) t.runs = [];
for (let round = 0; round < rounds; round++) {
  // Each round in another order, so no target always runs right after the same other one.
  const order = targets.map((_, i) => targets[(i + round * 3) % targets.length]);
  for (const t of order) {
    await runTarget(t, WARM_UP_SECONDS); // after the others' turns: JIT, caches, pooled connections
    const cpu0 = keyholdCpu(t);
    const pg0 = cluster.cpuMicros();
    const run = await runTarget(t, seconds);
    run.cpu = (keyholdCpu(t) - cpu0) / run.requests;
    run.pgCpu = (cluster.cpuMicros() - pg0) / run.requests;
    t.runs.push(run);
    await settle();
  }
}
const elapsed = (Date.now() - started) / 1000;
const load1 = loadavg()[0];
await Promise.all([sqliteNode, nodeA, nodeB, bareGet, barePost].map((p) => stop(p.child)));
cluster.stop();

console.log(
  `Connect GET item (${getBody.length} bytes) and Connect item writes (POST, ${write(onPostgres).body.length}-byte body), ` +
    `${connections} connections, ${rounds} rounds of ${seconds} s per target (${elapsed.toFixed(0)} s), node ${process.version}`,
);
console.log(
  `machine: ${availableParallelism()} CPUs shared by the servers, PostgreSQL and wrk; load average ${load0.toFixed(1)} at the start, ${load1.toFixed(1)} at the end`,
);
console.log(
  `PostgreSQL ${pgVersion}, throwaway cluster on ${cluster.dir}: ${Object.entries(pgSettings)
    .map(([k, v]) => `${k}=${v}`)
    .join(', ')} (durability defaults kept: writes are measured)`,
);
console.log('SQLite: the data directory in the same temporary file system, as `keyhold serve` opens it');
console.log(
  `two nodes: two wrk at once, one per node, half the connections each; req/s summed, p50/p99 the worse of the two; wrk waits ${WRK_TIMEOUT_SECONDS} s for an answer`,
);
console.log(
  'CPU µs per request: keyhold = every keyhold process on that database, all threads (the bare server for bare); ' +
    'PostgreSQL = the whole cluster, including background work; wrk not counted',
);
console.log('medians over the rounds:');
console.log(
  'kind   target                    req/s   p50 ms   p99 ms  vs bare   keyhold µs/req   pg µs/req   total µs/req   failed',
);
for (const kind of ['GET', 'write']) {
  const bare = targets.find((t) => t.kind === kind && !t.nodes);
  for (const t of targets.filter((x) => x.kind === kind)) {
    const m = (key) => median(t.runs.map((r) => r[key]));
    const shares = t.runs.map((r, i) => (r.rps / bare.runs[i].rps) * 100);
    const failed = t.runs.reduce((s, r) => s + r.failed + r.socketErrors, 0);
    console.log(
      `${kind.padEnd(6)} ${t.name.padEnd(22)} ${m('rps').toFixed(0).padStart(8)} ${m('p50').toFixed(2).padStart(8)} ${m('p99').toFixed(2).padStart(8)} ${median(shares).toFixed(1).padStart(7)}% ${m('cpu').toFixed(0).padStart(16)} ${m('pgCpu').toFixed(0).padStart(11)} ${median(
        t.runs.map((r) => r.cpu + r.pgCpu),
      )
        .toFixed(0)
        .padStart(14)} ${String(failed).padStart(8)}`,
    );
  }
}
console.log('each round, req/s:');
for (const t of targets) {
  const perRound = t.runs.map((r) =>
    r.parts.length > 1
      ? `${r.rps.toFixed(0)} (${r.parts.map((x) => x.toFixed(0)).join('+')})`
      : r.rps.toFixed(0),
  );
  console.log(`  ${t.kind.padEnd(6)} ${t.name.padEnd(22)} ${perRound.join('  ')}`);
}

// Failures are reported, never folded into the figures: wrk's non-2xx and socket errors per run,
// and what the keyhold nodes logged about them.
const failures = targets.flatMap((t) =>
  t.runs
    .filter((r) => r.failed || r.socketErrors)
    .map((r) => `${t.kind} ${t.name}: ${r.failed} non-2xx, ${r.socketErrors} socket errors`),
);
const logged = [
  ['SQLite node', sqliteNode],
  ['node A', nodeA],
  ['node B', nodeB],
].filter(([, n]) => n.problems.lines.length);
if (failures.length || logged.length) {
  console.log('FAILURES:');
  for (const f of failures) console.log(`  ${f}`);
  for (const [name, n] of logged) {
    console.log(`  ${name} logged ${JSON.stringify(n.problems.counts)}; first lines:`);
    for (const line of n.problems.lines) console.log(`    ${line}`);
  }
  process.exitCode = 1;
}
