#!/usr/bin/env node
// Memory growth of a long-running Connect server: RSS of the serving process after the first
// 10% of the requests and after all of them (default 1,000,000 GET item requests). Growth above
// 10% suggests a leak.
//
//   npm run build && node bench/connect-memory.mjs [--requests 1000000] [--connections 50]
import { parseArgs, requireWrk, rssMiB, seed, startInProcess, stop, wrk } from './lib.mjs';

const { requests, connections } = parseArgs({ requests: 1_000_000, connections: 50 });
requireWrk();
const s = await seed();
const central = await startInProcess(s);
const url = central.itemUrl;

let done = 0;
let early;
const started = Date.now();
while (done < requests) {
  const r = await wrk(url, { connections, seconds: 10, token: s.connectToken });
  done += r.requests;
  if (early === undefined && done >= requests / 10) {
    early = { requests: done, rss: rssMiB(central.child.pid) };
    console.log(`after ${done} requests: RSS ${early.rss.toFixed(1)} MiB`);
  }
}
const late = { requests: done, rss: rssMiB(central.child.pid) };
await stop(central.child);
console.log(
  `after ${done} requests: RSS ${late.rss.toFixed(1)} MiB (${((Date.now() - started) / 1000).toFixed(0)} s)`,
);
const growth = ((late.rss - early.rss) / early.rss) * 100;
console.log(
  `growth from ${early.requests} to ${late.requests} requests: ${growth.toFixed(1)}% (${growth <= 10 ? 'within' : 'OVER'} 10%)`,
);
