#!/usr/bin/env node
// GET item throughput and latency of a Connect server, both hostings, against a bare node:http
// server returning the same JSON, in one run. Server and load generator (wrk) are separate
// processes; audit and request logging stay on, as in production.
//
// The own-process target is a standalone node (issue 18): `keyhold connect` answers from its local
// replica, each read's audit event committed to its outbox before the answer, and ships the outbox
// to the central service, which runs during the measurement too (its CPU counts against the same
// two cores). Its target: at least 35% of bare's requests/s in the same round, p99 under 15 ms.
//
// The targets take turns over several rounds, and each round's share of bare is taken against
// the bare figure of that same round: on a shared machine the speed of every process drifts by
// a fifth or more within minutes, which a single back-to-back run mistakes for a difference.
//
//   npm run build && node bench/connect-get.mjs [--seconds 10] [--connections 50] [--rounds 3]
import {
  itemBody,
  keyhold,
  median,
  parseArgs,
  requireWrk,
  seed,
  startBare,
  startInProcess,
  startLogged,
  stop,
  wrk,
} from './lib.mjs';

const { seconds, connections, rounds } = parseArgs({ seconds: 10, connections: 50, rounds: 3 });
requireWrk();
const s = await seed();

const central = await startInProcess(s);
const remote = await startLogged(
  keyhold('connect', '--credentials', s.credentialsFile, '--central', central.line.url, '--port', '0'),
  'connect server listening',
);
const body = await itemBody(central.itemUrl, s.connectToken);
const bare = await startBare(body);

const targets = [
  { name: 'bare node:http', url: bare.line.url + s.path },
  { name: 'connect, in-process (serve --connect)', url: central.itemUrl, token: s.connectToken },
  { name: 'standalone node (keyhold connect)', url: remote.line.url + s.path, token: s.connectToken },
];
for (const t of targets) t.runs = [];
for (let round = 0; round < rounds; round++) {
  // Each round in another order, so no target always runs right after the same other one.
  const order = targets.map((_, i) => targets[(i + round) % targets.length]);
  for (const t of order) {
    // Warm-up after the others' turns: JIT, caches, connections.
    await wrk(t.url, { connections, seconds: 2, token: t.token });
    t.runs.push(await wrk(t.url, { connections, seconds, token: t.token }));
  }
}
await Promise.all([stop(remote.child), stop(central.child), stop(bare.child)]);

const bareRuns = targets[0].runs;
const node = targets[2];
console.log(
  `GET ${body.length}-byte item, ${connections} connections, ${rounds} rounds of ${seconds} s per target, node ${process.version}`,
);
console.log('medians over the rounds:');
console.log('target                                    req/s     p50 ms   p99 ms   vs bare   (each round)');
for (const t of targets) {
  const shares = t.runs.map((r, i) => (r.rps / bareRuns[i].rps) * 100);
  const m = (key) => median(t.runs.map((r) => r[key]));
  console.log(
    `${t.name.padEnd(40)} ${m('rps').toFixed(0).padStart(7)} ${m('p50').toFixed(2).padStart(9)} ${m('p99').toFixed(2).padStart(8)} ${median(shares).toFixed(1).padStart(8)}%   (${shares.map((x) => `${x.toFixed(1)}%`).join(' ')})`,
  );
}
const nodeShare = median(node.runs.map((r, i) => (r.rps / bareRuns[i].rps) * 100));
const nodeP99 = median(node.runs.map((r) => r.p99));
console.log(
  `standalone node: ${nodeShare.toFixed(1)}% of bare (target >= 35%: ${nodeShare >= 35 ? 'met' : 'NOT met'}), p99 ${nodeP99.toFixed(1)} ms (target < 15 ms: ${nodeP99 < 15 ? 'met' : 'NOT met'}); p99 per round: ${node.runs.map((r) => r.p99.toFixed(1)).join(' ')} ms`,
);
