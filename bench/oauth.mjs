#!/usr/bin/env node
// Authorization-server throughput: client-credentials tokens/s and introspections/s, against a
// bare node:http server answering a token-sized JSON to the same POST, in one run. Server and
// load generator (wrk) are separate processes; audit and request logging stay on. Every token
// issued is registered (hash + audit event) and committed before it is returned.
//
//   npm run build && node bench/oauth.mjs [--seconds 10] [--connections 50]
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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

const run = async (target, post) => {
  await wrk(target, { connections, seconds: 2, post }); // warm-up: JIT, caches, connections
  return wrk(target, { connections, seconds, post });
};
const results = {
  'bare node:http (POST)': await run(`${bare.line.url}/token`, tokenRequest),
  'client credentials → token': await run(`${issuer}/token`, tokenRequest),
  'introspection (active token)': await run(`${issuer}/introspect`, introspectRequest),
};
await Promise.all([stop(central.child), stop(bare.child)]);

const base = results['bare node:http (POST)'].rps;
console.log(`OAuth endpoints, ${connections} connections, ${seconds} s, node ${process.version}`);
console.log('target                                    req/s     p50 ms   p99 ms   vs bare');
for (const [name, r] of Object.entries(results)) {
  console.log(
    `${name.padEnd(40)} ${r.rps.toFixed(0).padStart(7)} ${r.p50.toFixed(2).padStart(9)} ${r.p99.toFixed(2).padStart(8)} ${((r.rps / base) * 100).toFixed(1).padStart(8)}%`,
  );
}
