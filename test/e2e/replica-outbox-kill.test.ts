import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, expect, it } from 'vitest';
import { openReplica } from '../../src/connect-server/node/sqlite-replica.js';
import { newId } from '../../src/crypto/ids.js';
import { newReplicaKey, newServerKeyPair } from '../../src/crypto/server-key.js';
import type { ConnectCredentials } from '../../src/domain/connect/server-service.js';
import { REPO_ROOT } from '../helpers/processes.js';

/**
 * A node's outbox is durable before `append` resolves: a process killed with SIGKILL (no chance
 * to flush anything) loses no event it was told was appended, and keeps them in append order.
 * The appending process runs the built replica (`dist/`, so run `tsc -p tsconfig.build.json`).
 */
const scratch = mkdtempSync(join(tmpdir(), 'keyhold-outbox-kill-'));
const dir = join(scratch, 'data');
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const CHILD = `
const { openReplica } = await import(process.env.REPLICA_MODULE);
const credentials = JSON.parse(process.env.CREDENTIALS);
const replica = await openReplica({ dataDir: process.env.DATA_DIR, credentials });
let next = 0;
const event = (n) => ({
  occurredAt: new Date().toISOString(), accountId: credentials.accountId, actorType: 'connect_token',
  actorId: 'tok', tokenId: 'tok', action: 'READ', resourceType: 'ITEM', resourceId: null,
  vaultId: null, itemId: null, itemVersion: 1, result: 'SUCCESS', requestId: 'r' + n, ip: null, userAgent: null,
});
// Many appends in flight at once, as under load; each one reported only once it resolved (through
// stdout's own buffering: a synchronous write to a full pipe fails with EAGAIN on a busy machine,
// and a line still buffered at the kill only means the test checks one event fewer).
const lane = async () => {
  for (;;) {
    const n = next++;
    await replica.outbox.append(event(n));
    process.stdout.write(n + '\\n');
  }
};
for (let i = 0; i < 16; i += 1) void lane();
`;

it('keeps every event it acknowledged as appended across a SIGKILL, in order', async () => {
  const keys = await newServerKeyPair();
  const credentials: ConnectCredentials = {
    kind: 'keyhold-connect-credentials',
    version: 2,
    serverId: newId(),
    accountId: newId(),
    serverSecret: `khsrv_${'a'.repeat(43)}`,
    central: null,
    serverKey: keys.privateJwk,
    replicaKey: newReplicaKey().toString('base64url'),
  };
  // A file, not \`--input-type=module -e\`: worker threads inherit that flag, and the audit writer
  // thread's program is CommonJS.
  const script = join(scratch, 'append.mjs');
  writeFileSync(script, CHILD);
  const child = spawn(process.execPath, [script], {
    env: {
      ...process.env,
      REPLICA_MODULE: pathToFileURL(join(REPO_ROOT, 'dist', 'connect-server', 'node', 'sqlite-replica.js'))
        .href,
      CREDENTIALS: JSON.stringify(credentials),
      DATA_DIR: dir,
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const acknowledged: number[] = [];
  let buffered = '';
  await new Promise<void>((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code, signal) =>
      signal === 'SIGKILL' ? resolve() : reject(new Error(`exited ${code}`)),
    );
    child.stdout.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) acknowledged.push(Number(line));
      if (acknowledged.length >= 2_000) child.kill('SIGKILL');
    });
  });
  expect(acknowledged.length).toBeGreaterThanOrEqual(2_000);

  const replica = await openReplica({ dataDir: dir, credentials });
  try {
    const kept = replica.outbox.pending(1_000_000).map((p) => Number(p.event.requestId?.slice(1)));
    const keptSet = new Set(kept);
    expect(acknowledged.filter((n) => !keptSet.has(n))).toEqual([]);
    // In the order they were appended: each lane's events, and all of them, by append number.
    expect(kept).toEqual([...kept].sort((a, b) => a - b));
    expect(replica.outbox.size()).toBe(kept.length);
  } finally {
    await replica.close();
  }
}, 60_000);
