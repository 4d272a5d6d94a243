#!/usr/bin/env node
// GET item throughput of two builds of Keyhold side by side (in-process hosting, audit and
// request logging on): is a change faster? Both servers run at once and take turns under load,
// round after round in alternating order, so both see the same minutes of a shared machine; the
// answer is the median of the per-round ratios, with each build's serving-thread CPU per request.
//
// Each build seeds its own data directory with its own CLI, so each stores the item its own way.
// A build is a checkout with dist/ built, e.g. the commit before a change:
//
//   git worktree add /tmp/base HEAD~1 && ln -s "$PWD/node_modules" /tmp/base/node_modules &&
//     (cd /tmp/base && npx tsc -p tsconfig.build.json)
//   npm run build && node bench/connect-ab.mjs /tmp/base [--rounds 20] [--seconds 3] [--connections 50]
import { join, resolve } from 'node:path';
import {
  cliOf,
  cpuMicros,
  median,
  parseArgs,
  ROOT,
  requireWrk,
  seed,
  startInProcess,
  stop,
  wrk,
} from './lib.mjs';

const [baseDir, ...options] = process.argv.slice(2);
if (!baseDir || baseDir.startsWith('--')) {
  console.error(
    'usage: node bench/connect-ab.mjs BASE_CHECKOUT [--rounds 20] [--seconds 3] [--connections 50]',
  );
  process.exit(2);
}
const { rounds, seconds, connections } = parseArgs({ rounds: 20, seconds: 3, connections: 50 }, options);
requireWrk();

const builds = [];
for (const [name, dir] of [
  ['base', resolve(baseDir)],
  ['this', ROOT],
]) {
  const cli = cliOf(dir);
  const s = await seed(cli);
  const server = await startInProcess(s, cli);
  await wrk(server.itemUrl, { connections, seconds: 2, token: s.connectToken }); // warm-up
  builds.push({ name, dir, s, server, runs: [] });
}
for (let round = 0; round < rounds; round++) {
  for (const b of round % 2 ? [...builds].reverse() : builds) {
    const before = cpuMicros(b.server.child.pid, { mainThread: true });
    const run = await wrk(b.server.itemUrl, { connections, seconds, token: b.s.connectToken });
    b.runs.push({
      ...run,
      cpu: (cpuMicros(b.server.child.pid, { mainThread: true }) - before) / run.requests,
    });
  }
}
await Promise.all(builds.map((b) => stop(b.server.child)));

console.log(
  `GET item, in-process hosting, ${connections} connections, ${rounds} rounds of ${seconds} s per build, node ${process.version}`,
);
console.log('build  req/s    p99 ms   serving-thread CPU µs/request   checkout');
for (const b of builds) {
  const m = (key) => median(b.runs.map((r) => r[key]));
  console.log(
    `${b.name.padEnd(5)} ${m('rps').toFixed(0).padStart(6)} ${m('p99').toFixed(2).padStart(9)} ${m('cpu').toFixed(1).padStart(12)}                      ${b.dir}`,
  );
}
const [base, self] = builds;
const ratios = self.runs.map((r, i) => r.rps / base.runs[i].rps);
console.log(
  `this/base req/s, median of the rounds: ${median(ratios).toFixed(3)} (rounds ${[...ratios]
    .sort((a, b) => a - b)
    .map((x) => x.toFixed(2))
    .join(' ')})`,
);
