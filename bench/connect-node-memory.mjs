#!/usr/bin/env node
// Memory growth of a standalone Connect node (`keyhold connect` with its replica, issue 18): RSS
// of the node's process (/proc/PID/status VmRSS) after the first 100,000 GET item requests and
// after 1,000,000 (the defaults), with the central service running and the outbox shipped to it
// as in production. Growth of 10% or more between the two suggests a leak.
//
// Two figures at each point. Under load: the median of RSS samples taken every 250 ms through 5 s
// of load (one sample swings by ±10% with where V8's young generation stands between two
// collections: heapTotal moved 65-87 MiB, and RSS with it, while heapUsed stayed flat). At rest:
// RSS right after full collections the node runs on a signal (bench/gc-on-signal.cjs, preloaded),
// once the load has stopped: what the process holds on to. The growth criterion is taken at rest.
//
//   npm run build && node bench/connect-node-memory.mjs [--requests 1000000] [--early 100000] [--connections 50]
import { fileURLToPath } from 'node:url';
import {
  keyhold,
  median,
  parseArgs,
  requireWrk,
  rssMiB,
  seed,
  startInProcess,
  startLogged,
  stop,
  wrk,
} from './lib.mjs';

const {
  requests,
  early: earlyAt,
  connections,
} = parseArgs({
  requests: 1_000_000,
  early: 100_000,
  connections: 50,
});
requireWrk();
const s = await seed();
const central = await startInProcess(s);
const node = await startLogged(
  [
    '--expose-gc',
    '--require',
    fileURLToPath(new URL('gc-on-signal.cjs', import.meta.url)),
    ...keyhold('connect', '--credentials', s.credentialsFile, '--central', central.line.url, '--port', '0'),
  ],
  'connect server listening',
);
const url = node.line.url + s.path;
const pid = node.child.pid;

// wrk runs for a time, not a count: short runs near the sampling points, so each sample is taken
// close to its request count, from a rate measured as it goes.
let done = 0;
let rate = 2_000;

const started = Date.now();
const run = async (target) => {
  while (done < target) {
    const seconds = Math.max(1, Math.min(10, Math.floor((target - done) / rate)));
    const r = await wrk(url, { connections, seconds, token: s.connectToken });
    done += r.requests;
    rate = Math.max(100, r.rps);
  }
};
const sampled = async () => {
  const samples = [];
  const timer = setInterval(() => samples.push(rssMiB(pid)), 250);
  const r = await wrk(url, { connections, seconds: 5, token: s.connectToken });
  clearInterval(timer);
  done += r.requests;
  return {
    requests: done,
    rss: median(samples),
    min: Math.min(...samples),
    max: Math.max(...samples),
    atRest: await collected(),
  };
};
/** RSS in MiB after the node's full collections (bench/gc-on-signal.cjs), with its heap in use. */
const collected = () =>
  new Promise((resolve, reject) => {
    let text = '';
    const timer = setTimeout(() => reject(new Error('the node did not answer SIGUSR2 within 10 s')), 10_000);
    const onData = (chunk) => {
      text += chunk;
      const line = text.split('\n').find((l) => l.includes('"msg":"collected"'));
      if (!line) return;
      node.child.stderr.off('data', onData);
      clearTimeout(timer);
      const m = JSON.parse(line);
      resolve({ rss: m.rss / 2 ** 20, heapUsed: m.heapUsed / 2 ** 20 });
    };
    node.child.stderr.on('data', onData);
    node.child.kill('SIGUSR2');
  });
const describe = (at) =>
  `after ${at.requests} requests: node RSS under load ${at.rss.toFixed(1)} MiB (median; ${at.min.toFixed(1)}-${at.max.toFixed(1)}), at rest ${at.atRest.rss.toFixed(1)} MiB (heap in use ${at.atRest.heapUsed.toFixed(1)} MiB)`;
await run(earlyAt);
const early = await sampled();
console.log(describe(early));
await run(requests);
const late = await sampled();
await Promise.all([stop(node.child), stop(central.child)]);
console.log(
  `${describe(late)}; ${((Date.now() - started) / 1000).toFixed(0)} s, ${(done / ((Date.now() - started) / 1000)).toFixed(0)} req/s on average`,
);
const growth = (a, b) => ((b - a) / a) * 100;
const atRest = growth(early.atRest.rss, late.atRest.rss);
console.log(
  `growth from ${early.requests} to ${late.requests} requests: at rest ${atRest.toFixed(1)}% (${atRest < 10 ? 'under' : 'NOT under'} 10%); under load ${growth(early.rss, late.rss).toFixed(1)}%`,
);
