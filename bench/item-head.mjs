#!/usr/bin/env node
// What checking an item's head (domain/items/heads.ts) adds to a secret read: the time of one
// head check (an HMAC-SHA-256 under the vault's cached MAC key, and its comparison) against the
// CPU of a whole in-process item read (`items.getJson`: one SQL statement, the head check, one
// AES-GCM open, the audit event), both in the same process and run.
//
//   npm run build && node bench/item-head.mjs [--reads 20000]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs, ROOT } from './lib.mjs';

const { reads } = parseArgs({ reads: 20000 });
const dist = (file) => import(pathToFileURL(join(ROOT, 'dist', file)).href);
const { loadConfig } = await dist('config/load.js');
const { initDataDir } = await dist('main.js');
const { buildServices } = await dist('services.js');
const { verifyHead } = await dist('domain/items/heads.js');

const dir = mkdtempSync(join(tmpdir(), 'keyhold-bench-head-'));
const config = loadConfig({ KEYHOLD_DATA_DIR: dir, KEYHOLD_LOG_LEVEL: 'silent' });
const init = await initDataDir(config, { ownerPassword: 'correct horse battery staple' });
const services = buildServices(init.storage, init.keyring, { publicUrl: () => 'http://bench' });
const ctx = {
  actor: { type: 'admin_token', id: 'bench', accountId: init.accountId, tokenId: null, operator: true },
  principal: { kind: 'admin', accountId: init.accountId },
  requestId: null,
  ip: null,
  userAgent: null,
};
const vault = await services.vaults.create(ctx, { name: 'bench', description: '' });
const item = await services.items.create(ctx, vault.id, {
  title: 'database',
  category: 'LOGIN',
  fields: [
    { purpose: 'USERNAME', value: 'admin' },
    { purpose: 'PASSWORD', type: 'CONCEALED', value: 'correct horse battery staple' },
  ],
});

const vaultRecord = await init.storage.vaults.find(init.accountId, vault.id);
const row = await init.storage.items.get(vault.id, item.id, false);
const macKey = init.keyring.macKey(vaultRecord);

const cpu = () => {
  const u = process.cpuUsage();
  return u.user + u.system;
};
// CPU time, not wall time, for both: on a shared machine the wall clock counts other processes.
const perCall = (n, work) => {
  for (let i = 0; i < 2000; i++) work(); // warm-up
  const start = cpu();
  for (let i = 0; i < n; i++) work();
  return (cpu() - start) / n;
};

const headMicros = perCall(reads * 10, () => verifyHead(macKey, row));

// Reads in batches of 32, as many as a Connect turn shares (end-of-turn.ts).
for (let i = 0; i < 2000; i += 32)
  await Promise.all(Array.from({ length: 32 }, () => services.items.getJson(ctx, vault.id, item.id)));
const startCpu = cpu();
for (let i = 0; i < reads; i += 32)
  await Promise.all(Array.from({ length: 32 }, () => services.items.getJson(ctx, vault.id, item.id)));
const readMicros = (cpu() - startCpu) / reads;

console.log(`node ${process.version}, ${reads} reads`);
console.log(`head check (CPU):     ${headMicros.toFixed(2)} µs per read`);
console.log(`whole getJson (CPU):  ${readMicros.toFixed(2)} µs per read`);
console.log(`share of the read:    ${((headMicros / readMicros) * 100).toFixed(1)} %`);

await init.storage.close();
rmSync(dir, { recursive: true, force: true });
