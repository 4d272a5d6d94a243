#!/usr/bin/env node
// GET item throughput and latency of a Connect server, both hostings, against a bare node:http
// server returning the same JSON, in one run. Server and load generator (wrk) are separate
// processes; audit and request logging stay on, as in production.
//
//   npm run build && node bench/connect-get.mjs [--seconds 10] [--connections 50]
import {
  itemBody,
  keyhold,
  parseArgs,
  requireWrk,
  seed,
  startBare,
  startInProcess,
  startLogged,
  stop,
  wrk,
} from './lib.mjs';

const { seconds, connections } = parseArgs({ seconds: 10, connections: 50 });
requireWrk();
const s = await seed();

const central = await startInProcess(s);
const remote = await startLogged(
  keyhold('connect', '--credentials', s.credentialsFile, '--central', central.line.url, '--port', '0'),
  'connect server listening',
);
const body = await itemBody(central.itemUrl, s.connectToken);
const bare = await startBare(body);

const run = async (url, token) => {
  await wrk(url, { connections, seconds: 2, token }); // warm-up: JIT, caches, connections
  return wrk(url, { connections, seconds, token });
};
const results = {
  'bare node:http': await run(bare.line.url + s.path),
  'connect, in-process (serve --connect)': await run(central.itemUrl, s.connectToken),
  'connect, own process (keyhold connect)': await run(remote.line.url + s.path, s.connectToken),
};
await Promise.all([stop(remote.child), stop(central.child), stop(bare.child)]);

const base = results['bare node:http'].rps;
console.log(
  `GET ${body.length}-byte item, ${connections} connections, ${seconds} s, node ${process.version}`,
);
console.log('target                                    req/s     p50 ms   p99 ms   vs bare');
for (const [name, r] of Object.entries(results)) {
  console.log(
    `${name.padEnd(40)} ${r.rps.toFixed(0).padStart(7)} ${r.p50.toFixed(2).padStart(9)} ${r.p99.toFixed(2).padStart(8)} ${((r.rps / base) * 100).toFixed(1).padStart(8)}%`,
  );
}
