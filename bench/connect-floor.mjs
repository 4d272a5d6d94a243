#!/usr/bin/env node
// The ceiling the Connect HTTP layer puts on any Connect server: the real Connect listener (routing,
// request log line, metrics, path validation, serialisation) over a central that answers every
// GET item with a fixed item — no token check, no database, no decryption, no audit — against a
// bare node:http server returning the same JSON. CPU is the serving process's, per request.
//
//   npm run build && node bench/connect-floor.mjs [--seconds 10] [--connections 50]
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  cpuMicros,
  itemBody,
  parseArgs,
  ROOT,
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

// The same item connect-get.mjs reads, as a real server returns it.
const s = await seed();
const central = await startInProcess(s);
const body = await itemBody(central.itemUrl, s.connectToken);
await stop(central.child);

const dist = (file) => pathToFileURL(join(ROOT, 'dist', file)).href;
const stub = `
  import { buildConnectApp } from ${JSON.stringify(dist('http/connect/app.js'))};
  import { createLogger } from ${JSON.stringify(dist('main.js'))};
  // The central client answers an item read with the item's JSON bytes (central-client.ts).
  const item = Buffer.from(${JSON.stringify(body)});
  const app = buildConnectApp({
    central: { getItem: async () => item },
    logger: createLogger({ logLevel: 'info' }),
    limits: { json: 1e6, file: 1e6, inlineFile: 1e5 },
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  console.log(JSON.stringify({ msg: 'stub listening', url: 'http://127.0.0.1:' + app.server.address().port }));
`;

const run = async (server, token) => {
  const url = server.line.url + s.path;
  await wrk(url, { connections, seconds: 2, token }); // warm-up
  const before = cpuMicros(server.child.pid);
  const r = await wrk(url, { connections, seconds, token });
  const cpu = (cpuMicros(server.child.pid) - before) / r.requests;
  await stop(server.child);
  return { ...r, cpu };
};
const bare = await run(await startBare(body));
const floor = await run(await startLogged(['--input-type=module', '-e', stub], 'stub listening'), 'any');

console.log(
  `GET ${body.length}-byte item, ${connections} connections, ${seconds} s, node ${process.version}`,
);
console.log('target                           req/s   p99 ms   CPU µs/req   vs bare');
for (const [name, r] of [
  ['bare node:http', bare],
  ['Connect HTTP layer, stub central', floor],
]) {
  console.log(
    `${name.padEnd(32)} ${r.rps.toFixed(0).padStart(7)} ${r.p99.toFixed(2).padStart(8)} ${r.cpu.toFixed(1).padStart(12)} ${((r.rps / bare.rps) * 100).toFixed(1).padStart(8)}%`,
  );
}
