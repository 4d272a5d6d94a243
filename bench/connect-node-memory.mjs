#!/usr/bin/env node
// Memory growth of a standalone Connect node (`keyhold connect` with its replica, issue 18): RSS
// of the node's process (/proc/PID/status VmRSS) after the first 100,000 GET item requests and
// after 1,000,000 (the defaults), with the central service running and the outbox shipped to it
// as in production. Growth of 10% or more between the two suggests a leak.
//
// Each figure is the median of RSS samples taken every 250 ms through 5 s of load at that point:
// one sample swings by ±10% with where V8's young generation stands between two collections
// (heapTotal moved 65-87 MiB, and RSS with it, while heapUsed stayed flat).
//
//   npm run build && node bench/connect-node-memory.mjs [--requests 1000000] [--early 100000] [--connections 50]
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
  keyhold('connect', '--credentials', s.credentialsFile, '--central', central.line.url, '--port', '0'),
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
  return { requests: done, rss: median(samples), min: Math.min(...samples), max: Math.max(...samples) };
};
await run(earlyAt);
const early = await sampled();
console.log(
  `after ${early.requests} requests: node RSS ${early.rss.toFixed(1)} MiB (median; ${early.min.toFixed(1)}-${early.max.toFixed(1)})`,
);
await run(requests);
const late = await sampled();
await Promise.all([stop(node.child), stop(central.child)]);
console.log(
  `after ${late.requests} requests: node RSS ${late.rss.toFixed(1)} MiB (median; ${late.min.toFixed(1)}-${late.max.toFixed(1)}; ${((Date.now() - started) / 1000).toFixed(0)} s, ${(done / ((Date.now() - started) / 1000)).toFixed(0)} req/s on average)`,
);
const growth = ((late.rss - early.rss) / early.rss) * 100;
console.log(
  `growth from ${early.requests} to ${late.requests} requests: ${growth.toFixed(1)}% (${growth < 10 ? 'under' : 'NOT under'} 10%)`,
);
