#!/usr/bin/env node
// Memory growth of a standalone Connect node (`keyhold connect` with its replica, issue 18): RSS
// of the node's process (/proc/PID/status VmRSS) after the first 100,000 GET item requests and
// after 1,000,000 (the defaults), with the central service running and the outbox shipped to it
// as in production. Growth of 10% or more between the two suggests a leak.
//
//   npm run build && node bench/connect-node-memory.mjs [--requests 1000000] [--early 100000] [--connections 50]
import {
  keyhold,
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
await run(earlyAt);
const early = { requests: done, rss: rssMiB(pid) };
console.log(`after ${done} requests: node RSS ${early.rss.toFixed(1)} MiB`);
await run(requests);
const late = { requests: done, rss: rssMiB(pid) };
await Promise.all([stop(node.child), stop(central.child)]);
console.log(
  `after ${done} requests: node RSS ${late.rss.toFixed(1)} MiB (${((Date.now() - started) / 1000).toFixed(0)} s, ${(done / ((Date.now() - started) / 1000)).toFixed(0)} req/s on average)`,
);
const growth = ((late.rss - early.rss) / early.rss) * 100;
console.log(
  `growth from ${early.requests} to ${late.requests} requests: ${growth.toFixed(1)}% (${growth < 10 ? 'under' : 'NOT under'} 10%)`,
);
