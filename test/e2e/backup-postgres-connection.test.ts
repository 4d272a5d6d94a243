import { spawn } from 'node:child_process';
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateMasterKey } from '../../src/crypto/master-key.js';
import { type PostgresCluster, startPostgres } from '../helpers/postgres.js';
import { CLI, childEnv, cleanup, runCli, tempDataDir } from '../helpers/processes.js';

/**
 * `keyhold backup --database-url` when PostgreSQL drops its connection: a server restarted, an
 * idle connection ended by a pooler or an administrator. Once the export has read everything, the
 * connection is no longer needed, and losing it must not cost the backup.
 */

let cluster: PostgresCluster;
beforeAll(async () => {
  cluster = await startPostgres();
}, 120_000);
afterAll(async () => {
  await cleanup();
  cluster?.stop();
});

let key: string;
let source: string;
let on: string[];
let admin: pg.Client;

beforeAll(async () => {
  key = join(tempDataDir(), 'master.key');
  writeFileSync(key, `${generateMasterKey()}\n`, { mode: 0o600 });
  source = await cluster.createDatabase();
  on = ['--database-url', source, '--master-key-file', key];
  const init = await runCli(['init', ...on, '--json'], { timeoutMs: 60_000 });
  expect(init.code, init.stderr).toBe(0);
  admin = new pg.Client({ connectionString: source });
  await admin.connect();
  // About 100 MB, so the export and the verification of the file written run long enough to be
  // caught on the way.
  await admin.query(
    `insert into audit_events (occurred_at, actor_type, actor_id, action, resource_type, result)
     select '2026-01-01T00:00:00.000Z', 'system', repeat('x', 8000) || n, 'READ', 'vault', 'SUCCESS'
     from generate_series(1, 12000) as n`,
  );
}, 120_000);
afterAll(async () => {
  await admin?.end();
});

/**
 * Runs `keyhold backup` to `out`, ending its connection to the database (pg_terminate_backend)
 * once it was seen in each of `states` in turn; answers how it exited and what it printed on
 * standard error.
 */
async function backupCut(out: string, states: string[]): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, [CLI, 'backup', ...on, '--out', out], {
    env: childEnv(),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const where = `application_name = 'keyhold backup' and state = $1 and backend_type = 'client backend'`;
  for (const [i, state] of states.entries()) {
    const last = i === states.length - 1;
    for (;;) {
      const { rowCount } = await admin.query(
        last
          ? `select pg_terminate_backend(pid) from pg_stat_activity where ${where}`
          : `select pid from pg_stat_activity where ${where}`,
        [state],
      );
      if ((rowCount ?? 0) > 0) break;
      await new Promise((r) => setTimeout(r, 5));
    }
  }
  return { code: await exited, stderr };
}

describe('keyhold backup on PostgreSQL, its connection ended', () => {
  it('after the export read everything: the backup is written and verified all the same', {
    timeout: 180_000,
  }, async () => {
    const out = join(tempDataDir(), 'cut.backup');
    // The export's transaction has ended: its connection waits idle in the pool.
    const { code, stderr } = await backupCut(out, ['idle in transaction', 'idle']);
    expect(code, stderr).toBe(0);
    expect(stderr).toBe('');
    const restore = await runCli(['restore', out, '--data-dir', tempDataDir(), '--master-key-file', key], {
      timeoutMs: 60_000,
    });
    expect(restore.code, restore.stderr).toBe(0);
  });

  it('during the export: refused in one line saying the connection was lost, nothing written', {
    timeout: 180_000,
  }, async () => {
    const outDir = tempDataDir();
    const out = join(outDir, 'cut.backup');
    const { code, stderr } = await backupCut(out, ['idle in transaction']);
    expect(code).toBe(1);
    expect(stderr).toMatch(
      /^keyhold: the connection to postgres:\/\/keyhold@127\.0\.0\.1:\d+\/\w+ was lost during the backup \(.*\): nothing was written; run it again once the database is reachable\n$/,
    );
    expect(readdirSync(outDir)).toEqual([]);
  });
});
