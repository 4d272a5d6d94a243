#!/usr/bin/env node
// Authorization-server throughput: client-credentials tokens/s and introspections/s, against a
// bare node:http server answering a token-sized JSON to the same POST, and against
// node-oidc-provider 9 with its in-memory adapter (the peer issue 21 names), in one run. Servers
// and load generator (wrk) are separate processes; Keyhold's audit and request logging stay on.
// Every token Keyhold issues is registered (hash + audit event) and committed before it is
// returned; the peer keeps its tokens in memory and logs nothing.
//
//   npm ci --prefix bench/peer     # once: the peer, installed for the bench only
//   npm run build && node bench/oauth.mjs [--seconds 10] [--connections 50]
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { api, keyhold, parseArgs, requireWrk, startBare, startLogged, stop, wrk } from './lib.mjs';

const { seconds, connections } = parseArgs({ seconds: 10, connections: 50 });
requireWrk();

const dataDir = join(mkdtempSync(join(tmpdir(), 'keyhold-bench-')), 'data');
const init = JSON.parse(
  execFileSync(process.execPath, keyhold('init', '--data-dir', dataDir, '--json'), { encoding: 'utf8' }),
);
const central = await startLogged(
  keyhold('serve', '--data-dir', dataDir, '--port', '0'),
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

const run = async (target, post) => {
  await wrk(target, { connections, seconds: 2, post }); // warm-up: JIT, caches, connections
  return wrk(target, { connections, seconds, post });
};
const results = {
  'bare node:http (POST)': await run(`${bare.line.url}/token`, tokenRequest),
  'client credentials → token': await run(`${issuer}/token`, tokenRequest),
  'introspection (active token)': await run(`${issuer}/introspect`, introspectRequest),
  'peer: client credentials → token': await run(`${peer.line.url}/token`, peerToken),
  'peer: introspection (active token)': await run(`${peer.line.url}/token/introspection`, peerIntrospect),
};
await Promise.all([stop(central.child), stop(bare.child), stop(peer.child)]);

const base = results['bare node:http (POST)'].rps;
console.log(`OAuth endpoints, ${connections} connections, ${seconds} s, node ${process.version}`);
console.log('target                                    req/s     p50 ms   p99 ms   vs bare');
for (const [name, r] of Object.entries(results)) {
  console.log(
    `${name.padEnd(40)} ${r.rps.toFixed(0).padStart(7)} ${r.p50.toFixed(2).padStart(9)} ${r.p99.toFixed(2).padStart(8)} ${((r.rps / base) * 100).toFixed(1).padStart(8)}%`,
  );
}
const vsPeer = (ours, theirs) => (results[ours].rps / results[theirs].rps).toFixed(2);
console.log(
  `Keyhold ÷ node-oidc-provider: tokens ${vsPeer('client credentials → token', 'peer: client credentials → token')}×, introspections ${vsPeer('introspection (active token)', 'peer: introspection (active token)')}×`,
);
