#!/usr/bin/env node
// Authorization-server throughput: client-credentials tokens/s and introspections/s, against a
// bare node:http server answering a token-sized JSON to the same POST, and against
// node-oidc-provider 9 with its in-memory adapter (the peer issue 21 names), in one run. Servers
// and load generator (wrk) are separate processes; Keyhold's audit and request logging stay on.
// Every token Keyhold issues is registered (hash + audit event) and committed before it is
// returned; the peer keeps its tokens in memory and logs nothing.
//
// With --rounds N the five measures are taken N times in turn (Keyhold and the peer minutes apart
// at most), and the ratios to the peer are printed per round and as their median: on a shared
// machine a ratio from the same round says more than either figure. With --profile 1, Keyhold's
// `serve` writes a CPU profile (node --cpu-prof) into a directory printed at the end.
//
//   npm ci --prefix bench/peer     # once: the peer, installed for the bench only
//   npm run build && node bench/oauth.mjs [--seconds 10] [--connections 50] [--rounds 1] [--profile 0]
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  api,
  cpuMicros,
  keyhold,
  median,
  parseArgs,
  requireWrk,
  startBare,
  startLogged,
  stop,
  wrk,
} from './lib.mjs';

const { seconds, connections, rounds, profile } = parseArgs({
  seconds: 10,
  connections: 50,
  rounds: 1,
  profile: 0,
});
requireWrk();

const dataDir = join(mkdtempSync(join(tmpdir(), 'keyhold-bench-')), 'data');
const init = JSON.parse(
  execFileSync(process.execPath, keyhold('init', '--data-dir', dataDir, '--json'), { encoding: 'utf8' }),
);
const profileDir = profile ? mkdtempSync(join(tmpdir(), 'keyhold-oauth-profile-')) : undefined;
const central = await startLogged(
  [
    ...(profileDir ? ['--cpu-prof', '--cpu-prof-dir', profileDir] : []),
    ...keyhold('serve', '--data-dir', dataDir, '--port', '0'),
  ],
  'keyhold listening',
);
const url = central.line.url;
const issuer = `${url}/oauth/${init.accountId}`;
const rs = await api(url, init.adminToken, 'POST', '/resource-servers', {
  identifier: 'https://reports.example.com',
  scopes: [{ name: 'reports:read', description: 'Read reports' }],
});
const client = await api(url, init.adminToken, 'POST', '/clients', {
  name: 'bench',
  redirectUris: [],
  scopes: ['reports:read'],
  grantTypes: ['client_credentials'],
});
const basic = (id, secret) => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;
const form = { 'Content-Type': 'application/x-www-form-urlencoded' };
const tokenRequest = {
  body: 'grant_type=client_credentials&scope=reports%3Aread',
  headers: { ...form, Authorization: basic(client.clientId, client.clientSecret) },
};
const issued = await (
  await fetch(`${issuer}/token`, { method: 'POST', headers: tokenRequest.headers, body: tokenRequest.body })
).text();
const accessToken = JSON.parse(issued).access_token;
const introspectRequest = {
  body: `token=${accessToken}`,
  headers: { ...form, Authorization: basic(rs.id, rs.secret) },
};
const introspected = await (
  await fetch(`${issuer}/introspect`, {
    method: 'POST',
    headers: introspectRequest.headers,
    body: introspectRequest.body,
  })
).text();
if (!JSON.parse(introspected).active) throw new Error(`introspection failed: ${introspected}`);
const bare = await startBare(issued);

const peerDir = join(dirname(fileURLToPath(import.meta.url)), 'peer');
if (!existsSync(join(peerDir, 'node_modules', 'oidc-provider'))) {
  console.error('the peer is not installed: npm ci --prefix bench/peer');
  process.exit(2);
}
const peer = await startLogged([join(peerDir, 'serve.mjs')], 'peer listening');
const peerToken = {
  body: 'grant_type=client_credentials&scope=reports%3Aread',
  headers: { ...form, Authorization: basic(peer.line.client.client_id, peer.line.client.client_secret) },
};
const peerIssued = await fetch(`${peer.line.url}/token`, { method: 'POST', ...peerToken });
const peerAccess = (await peerIssued.json()).access_token;
if (!peerAccess) throw new Error(`the peer issued no token (${peerIssued.status})`);
const peerIntrospect = {
  body: `token=${peerAccess}`,
  headers: {
    ...form,
    Authorization: basic(peer.line.resourceServer.client_id, peer.line.resourceServer.client_secret),
  },
};
const peerActive = await (
  await fetch(`${peer.line.url}/token/introspection`, { method: 'POST', ...peerIntrospect })
).json();
if (!peerActive.active) throw new Error(`the peer's introspection failed: ${JSON.stringify(peerActive)}`);

// Besides requests/s, the server's CPU per request from /proc (all its threads, and its main
// thread alone): other work on a shared machine slows a server down but hardly adds to its CPU.
const run = async (target, post, pid) => {
  await wrk(target, { connections, seconds: 2, post }); // warm-up: JIT, caches, connections
  const before = { all: cpuMicros(pid), main: cpuMicros(pid, { mainThread: true }) };
  const r = await wrk(target, { connections, seconds, post });
  const perRequest = (now, then) => (now - then) / r.requests;
  return {
    ...r,
    cpu: perRequest(cpuMicros(pid), before.all),
    mainCpu: perRequest(cpuMicros(pid, { mainThread: true }), before.main),
  };
};
const MEASURES = {
  'bare node:http (POST)': [`${bare.line.url}/token`, tokenRequest, bare.child.pid],
  'client credentials → token': [`${issuer}/token`, tokenRequest, central.child.pid],
  'introspection (active token)': [`${issuer}/introspect`, introspectRequest, central.child.pid],
  'peer: client credentials → token': [`${peer.line.url}/token`, peerToken, peer.child.pid],
  'peer: introspection (active token)': [
    `${peer.line.url}/token/introspection`,
    peerIntrospect,
    peer.child.pid,
  ],
};
const all = [];
for (let round = 0; round < rounds; round++) {
  const results = {};
  for (const [name, [target, post, pid]] of Object.entries(MEASURES))
    results[name] = await run(target, post, pid);
  all.push(results);
}
await Promise.all([stop(central.child), stop(bare.child), stop(peer.child)]);

const ratio = (results, ours, theirs) => results[ours].rps / results[theirs].rps;
const TOKENS = ['client credentials → token', 'peer: client credentials → token'];
const INTROSPECTIONS = ['introspection (active token)', 'peer: introspection (active token)'];
console.log(`OAuth endpoints, ${connections} connections, ${seconds} s, node ${process.version}`);
for (const [round, results] of all.entries()) {
  if (rounds > 1) console.log(`round ${round + 1} of ${rounds}`);
  const base = results['bare node:http (POST)'].rps;
  console.log(
    'target                                    req/s     p50 ms   p99 ms   vs bare   CPU µs/req   main thread µs/req',
  );
  for (const [name, r] of Object.entries(results)) {
    console.log(
      `${name.padEnd(40)} ${r.rps.toFixed(0).padStart(7)} ${r.p50.toFixed(2).padStart(9)} ${r.p99.toFixed(2).padStart(8)} ${((r.rps / base) * 100).toFixed(1).padStart(8)}% ${r.cpu.toFixed(0).padStart(12)} ${r.mainCpu.toFixed(0).padStart(20)}`,
    );
  }
  const cpuRatio = (ours, theirs) => (results[theirs].cpu / results[ours].cpu).toFixed(2);
  console.log(
    `Keyhold ÷ node-oidc-provider: tokens ${ratio(results, ...TOKENS).toFixed(2)}×, introspections ${ratio(results, ...INTROSPECTIONS).toFixed(2)}× (requests per CPU second: tokens ${cpuRatio(...TOKENS)}×, introspections ${cpuRatio(...INTROSPECTIONS)}×)`,
  );
}
if (rounds > 1) {
  const tokens = all.map((r) => ratio(r, ...TOKENS));
  const introspections = all.map((r) => ratio(r, ...INTROSPECTIONS));
  const spread = (xs) => `${Math.min(...xs).toFixed(2)}–${Math.max(...xs).toFixed(2)}`;
  console.log(
    `median of ${rounds} rounds: tokens ${median(tokens).toFixed(2)}× (${spread(tokens)}), introspections ${median(introspections).toFixed(2)}× (${spread(introspections)})`,
  );
}
if (profileDir) console.log(`CPU profile of keyhold serve: ${profileDir}`);
