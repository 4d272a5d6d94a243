#!/usr/bin/env node
// GET item of two builds' standalone Connect nodes side by side (`keyhold connect` answering from
// its replica, audit on, the outbox shipped to its own central service meanwhile): is a change
// cheaper? Both pairs of processes run at once and take turns under load, round after round in
// alternating order, so both see the same minutes of a shared machine. Printed per build: the
// medians of requests/s, p99, and CPU per request of the node's serving thread, of the whole node
// process (its GC, audit writer and log threads too) and of the central service ingesting the
// shipped events on the same cores; then the median of the per-round requests/s ratios.
//
// A build is a checkout with dist/ built (see connect-ab.mjs for making one of an earlier commit):
//
//   npm run build && node bench/connect-node-ab.mjs /tmp/base [--rounds 8] [--seconds 4] [--connections 50]
import { join, resolve } from 'node:path';
import {
  cliOf,
  cpuMicros,
  median,
  parseArgs,
  ROOT,
  requireWrk,
  seed,
  startLogged,
  stop,
  wrk,
} from './lib.mjs';

const [baseDir, ...options] = process.argv.slice(2);
if (!baseDir || baseDir.startsWith('--')) {
  console.error(
    'usage: node bench/connect-node-ab.mjs BASE_CHECKOUT [--rounds 8] [--seconds 4] [--connections 50]',
  );
  process.exit(2);
}
const { rounds, seconds, connections } = parseArgs({ rounds: 8, seconds: 4, connections: 50 }, options);
requireWrk();

const builds = [];
for (const [name, dir] of [
  ['base', resolve(baseDir)],
  ['this', ROOT],
]) {
  const cli = cliOf(dir);
  const s = await seed(cli);
  const central = await startLogged(
    [cli, 'serve', '--data-dir', s.dataDir, '--port', '0'],
    'keyhold listening',
  );
  const node = await startLogged(
    [cli, 'connect', '--credentials', s.credentialsFile, '--central', central.line.url, '--port', '0'],
    'connect server listening',
  );
  const url = node.line.url + s.path;
  await wrk(url, { connections, seconds: 2, token: s.connectToken }); // warm-up
  builds.push({ name, dir, s, central, node, url, runs: [] });
}
for (let round = 0; round < rounds; round++) {
  for (const b of round % 2 ? [...builds].reverse() : builds) {
    const main0 = cpuMicros(b.node.child.pid, { mainThread: true });
    const node0 = cpuMicros(b.node.child.pid);
    const central0 = cpuMicros(b.central.child.pid);
    const run = await wrk(b.url, { connections, seconds, token: b.s.connectToken });
    // The last shipment of the round lands in the round it belongs to.
    await new Promise((r) => setTimeout(r, 300));
    b.runs.push({
      ...run,
      main: (cpuMicros(b.node.child.pid, { mainThread: true }) - main0) / run.requests,
      node: (cpuMicros(b.node.child.pid) - node0) / run.requests,
      central: (cpuMicros(b.central.child.pid) - central0) / run.requests,
    });
  }
}
for (const b of builds) {
  await stop(b.node.child);
  await stop(b.central.child);
}

console.log(
  `GET item, standalone node, ${connections} connections, ${rounds} rounds of ${seconds} s per build, node ${process.version}`,
);
console.log('build  req/s    p99 ms   CPU µs/request: serving thread   node process   central   checkout');
for (const b of builds) {
  const m = (key) => median(b.runs.map((r) => r[key]));
  console.log(
    `${b.name.padEnd(5)} ${m('rps').toFixed(0).padStart(6)} ${m('p99').toFixed(2).padStart(9)} ${m('main').toFixed(1).padStart(30)} ${m('node').toFixed(1).padStart(14)} ${m('central').toFixed(1).padStart(9)}   ${b.dir}`,
  );
}
const [base, self] = builds;
const ratios = self.runs.map((r, i) => r.rps / base.runs[i].rps);
console.log(
  `this/base requests/s: ${median(ratios).toFixed(3)} (median of the rounds; rounds ${ratios.map((x) => x.toFixed(2)).join(' ')})`,
);
