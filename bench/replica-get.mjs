#!/usr/bin/env node
// What a Connect GET item costs when a standalone node answers it from its replica
// (connect-server/node: nodeReads over openReplica) against the central in-process path
// (connect-server/central: inProcessCentral over the central SQLite storage), in the same
// process and run: CPU µs per read, both verifying the token, deciding, opening the item and
// appending its audit event durably (central trail / node outbox, each by its writer thread).
// With --big N, the replica also holds a vault of N items (sealed by the domain code) and the
// bench reports the process's RSS before and after they were applied, and reads from that vault.
//
//   npm run build && node bench/replica-get.mjs [--reads 20000] [--big 100000]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs, ROOT } from './lib.mjs';

const { reads, big } = parseArgs({ reads: 20000, big: 0 });
const dist = (file) => import(pathToFileURL(join(ROOT, 'dist', file)).href);
const { loadConfig } = await dist('config/load.js');
const { initDataDir } = await dist('main.js');
const { buildServices } = await dist('services.js');
const { inProcessCentral } = await dist('connect-server/central/in-process-client.js');
const { nodeReads } = await dist('connect-server/node/node-reads.js');
const { openReplica } = await dist('connect-server/node/sqlite-replica.js');
const { replicaRecord } = await dist('connect-server/wire/replica-protocol.js');
const { importServerPublicKey, wrapVaultKey } = await dist('crypto/server-key.js');
const { newId } = await dist('crypto/ids.js');
const { itemHead } = await dist('domain/items/heads.js');
const { buildItemContent, parseItemInput } = await dist('domain/items/input.js');
const { sealItem } = await dist('domain/items/sealing.js');

const dir = mkdtempSync(join(tmpdir(), 'keyhold-bench-replica-'));
const config = loadConfig({ KEYHOLD_DATA_DIR: join(dir, 'central'), KEYHOLD_LOG_LEVEL: 'silent' });
const init = await initDataDir(config, { ownerPassword: 'correct horse battery staple' });
const { storage, keyring } = init;
const services = buildServices(storage, keyring, { publicUrl: () => 'http://bench' });
const { systemContext } = await dist('domain/context.js');
const ctx = systemContext(init.accountId);
const itemInput = (title) => ({
  title,
  category: 'LOGIN',
  fields: [
    { purpose: 'USERNAME', value: 'admin' },
    { purpose: 'PASSWORD', type: 'CONCEALED', value: 'correct horse battery staple' },
  ],
});
const vault = await services.vaults.create(ctx, { name: 'bench', description: '' });
const bigVault = await services.vaults.create(ctx, { name: 'big', description: '' });
const item = await services.items.create(ctx, vault.id, itemInput('database'));
const server = await services.servers.create(ctx, { name: 'node', vaultIds: [vault.id, bigVault.id] });
const { token, id: tokenId } = await services.tokens.create(ctx, {
  name: 'bench',
  serverId: server.id,
  grants: [
    { vaultId: vault.id, permissions: ['read'] },
    { vaultId: bigVault.id, permissions: ['read'] },
  ],
});

// The replica's records, as the central service sends them.
const publicKey = await importServerPublicKey(
  JSON.parse((await storage.connectServers.findById(server.id)).publicKey),
);
const b64 = (b) => b.toString('base64');
const vaultRec = async (id) => {
  const v = await storage.vaults.get(init.accountId, id);
  return {
    type: 'vault',
    vault: {
      id: v.id,
      accountId: v.accountId,
      type: v.type,
      attributes: b64(v.attributes),
      attributeVersion: v.attributeVersion,
      contentVersion: v.contentVersion,
      createdAt: v.createdAt,
      updatedAt: v.updatedAt,
      key: await wrapVaultKey(publicKey, v, keyring.vaultKey(v)),
    },
  };
};
const row = (await storage.items.getWithFiles(vault.id, item.id)).item;
const tok = await storage.connectTokens.get(tokenId);
const now = new Date().toISOString();
const records = [
  { type: 'reset', epoch: 'bench-epoch-aaaaaaaaaa' },
  { type: 'server', server: { id: server.id, accountId: init.accountId, vaults: [vault.id, bigVault.id] } },
  ...(await storage.signingKeys.list(init.accountId))
    .filter((k) => k.kind === 'connect')
    .map((k) => ({
      type: 'signing-key',
      key: {
        kid: k.kid,
        accountId: k.accountId,
        kind: 'connect',
        publicJwk: k.publicJwk,
        createdAt: k.createdAt,
        retiredAt: k.retiredAt,
      },
    })),
  {
    type: 'token',
    token: {
      id: tok.id,
      accountId: tok.accountId,
      serverId: tok.serverId,
      grants: tok.grants,
      signatureHash: b64(tok.signatureHash),
      createdAt: tok.createdAt,
      expiresAt: tok.expiresAt,
      revokedAt: tok.revokedAt,
    },
  },
  await vaultRec(vault.id),
  await vaultRec(bigVault.id),
  {
    type: 'item',
    item: {
      id: row.id,
      vaultId: row.vaultId,
      accountId: row.accountId,
      version: row.version,
      createdAt: row.createdAt,
      updatedAt: row.updatedAt,
      lastEditedBy: row.lastEditedBy,
      head: b64(row.head),
      overview: b64(row.overview),
      content: b64(row.content),
      layout: row.layout,
      files: [],
    },
    vaultContent: { contentVersion: 2, updatedAt: now },
  },
].map((r) => replicaRecord.parse(r));

const replica = await openReplica({ dataDir: join(dir, 'node'), credentials: server.credentials });
for (const r of records) await replica.receive(r);
const rss = () => process.memoryUsage().rss / 2 ** 20;
const heap = () => process.memoryUsage().heapUsed / 2 ** 20;
let bigItemId;
if (big > 0) {
  const core = await storage.vaults.find(init.accountId, bigVault.id);
  const key = keyring.vaultKey(core);
  const macKey = keyring.macKey(core);
  const content = buildItemContent(parseItemInput(itemInput('many')));
  global.gc?.();
  const before = rss();
  const heapBefore = heap();
  const started = performance.now();
  for (let i = 0; i < big; i++) {
    const meta = {
      id: newId(),
      accountId: init.accountId,
      vaultId: bigVault.id,
      version: 1,
      createdAt: now,
      updatedAt: now,
      lastEditedBy: 'bench',
    };
    const sealed = sealItem(
      key,
      { accountId: meta.accountId, vaultId: meta.vaultId, itemId: meta.id, version: 1 },
      content,
    );
    await replica.receive({
      type: 'item',
      item: {
        ...meta,
        head: b64(itemHead(macKey, meta)),
        overview: b64(sealed.overview),
        content: b64(sealed.content),
        layout: sealed.layout,
        files: [],
      },
      vaultContent: { contentVersion: 1, updatedAt: now },
    });
    if (i === Math.floor(big / 2)) bigItemId = meta.id;
  }
  const applied = (performance.now() - started) / big;
  await replica.receive({ type: 'mark', epoch: 'bench-epoch-aaaaaaaaaa', seq: 1 });
  global.gc?.();
  console.log(
    `replica of ${big} more items: made and applied in ${(applied * 1000).toFixed(0)} µs/item; RSS ${before.toFixed(0)} → ${rss().toFixed(0)} MiB, JS heap ${heapBefore.toFixed(0)} → ${heap().toFixed(0)} MiB (run with --expose-gc)`,
  );
} else {
  await replica.receive({ type: 'mark', epoch: 'bench-epoch-aaaaaaaaaa', seq: 1 });
}

const central = inProcessCentral(services, server.id);
const node = nodeReads(replica, replica.outbox);
let n = 0;
const call = () => ({ token, requestId: `r${n++}`, ip: '127.0.0.1', userAgent: 'bench' });
const cpu = () => {
  const u = process.cpuUsage();
  return u.user + u.system;
};
// Reads in batches of 32, as many as a Connect turn shares (end-of-turn.ts); CPU time, not wall.
const perRead = async (client, vaultId, itemId) => {
  for (let i = 0; i < 2000; i += 32)
    await Promise.all(Array.from({ length: 32 }, () => client.getItem(call(), vaultId, itemId)));
  const startCpu = cpu();
  const startWall = performance.now();
  for (let i = 0; i < reads; i += 32)
    await Promise.all(Array.from({ length: 32 }, () => client.getItem(call(), vaultId, itemId)));
  return { cpu: (cpu() - startCpu) / reads, wall: ((performance.now() - startWall) * 1000) / reads };
};
const same =
  Buffer.compare(
    await node.getItem(call(), vault.id, item.id),
    await central.getItem(call(), vault.id, item.id),
  ) === 0;
const atCentral = await perRead(central, vault.id, item.id);
const atNode = await perRead(node, vault.id, item.id);
console.log(`node ${process.version}, ${reads} GET item reads, 32 at a time; same bytes: ${same}`);
console.log(
  `central in-process: ${atCentral.cpu.toFixed(1)} µs CPU, ${atCentral.wall.toFixed(1)} µs wall per read`,
);
console.log(
  `node from replica:  ${atNode.cpu.toFixed(1)} µs CPU, ${atNode.wall.toFixed(1)} µs wall per read`,
);
if (bigItemId) {
  const inBig = await perRead(node, bigVault.id, bigItemId);
  console.log(
    `node, ${big}-item vault: ${inBig.cpu.toFixed(1)} µs CPU, ${inBig.wall.toFixed(1)} µs wall per read; RSS ${rss().toFixed(0)} MiB`,
  );
}
console.log(`outbox holds ${replica.outbox.size()} events`);

await node.close();
await replica.close();
await services.refusals.close();
await storage.close();
rmSync(dir, { recursive: true, force: true });
