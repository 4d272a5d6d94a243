import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateMasterKey } from '../../src/crypto/master-key.js';
import { withoutPassword } from '../../src/storage/postgres/backend.js';
import { createItem, unreadable, writeLoad } from '../helpers/item-load.js';
import { type PostgresCluster, startPostgres } from '../helpers/postgres.js';
import { cleanup, runCli, type Server, startServer, tempDataDir } from '../helpers/processes.js';

/**
 * `keyhold backup --database-url` and `keyhold restore --database-url` as an operator runs them:
 * `keyhold serve` on a throwaway PostgreSQL cluster, the backup taken under a steady write load,
 * restored into another PostgreSQL database and into a SQLite data directory (one format).
 */

let cluster: PostgresCluster;
beforeAll(async () => {
  cluster = await startPostgres();
}, 120_000);
afterAll(async () => {
  await cleanup();
  cluster?.stop();
});

interface BackupJson {
  method: string;
  items: number;
  vaults: number;
  decryptedVaults: number;
  tables: Record<string, number>;
}

describe('keyhold backup on PostgreSQL', () => {
  it('taken under a steady write load, restores into PostgreSQL and into SQLite with every write acknowledged before it started', {
    timeout: 180_000,
  }, async () => {
    const key = join(tempDataDir(), 'master.key');
    writeFileSync(key, `${generateMasterKey()}\n`, { mode: 0o600 });
    const source = await cluster.createDatabase();
    const on = (url: string) => ['--database-url', url, '--master-key-file', key];
    const init = await runCli(['init', ...on(source), '--json'], { timeoutMs: 60_000 });
    expect(init.code, init.stderr).toBe(0);
    const { adminToken } = JSON.parse(init.stdout) as { adminToken: string };

    const node = await startServer(tempDataDir(), { extraArgs: on(source) });
    let vaultId: string;
    const out = join(tempDataDir(), 'postgres.backup');
    let before: { id: string; title: string; password: string }[];
    let report: BackupJson;
    try {
      const vault = await fetch(`${node.url}/api/admin/vaults`, {
        method: 'POST',
        headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'under load' }),
      });
      vaultId = ((await vault.json()) as { id: string }).id;
      const load = writeLoad(node, adminToken, vaultId);
      await load.reach(100);
      before = load.acknowledged.slice();
      const backup = await runCli(['backup', ...on(source), '--out', out, '--json'], { timeoutMs: 60_000 });
      const during = load.acknowledged.length - before.length;
      await load.stop();
      expect(backup.code, backup.stderr).toBe(0);
      report = JSON.parse(backup.stdout) as BackupJson;
      expect(report.method).toBe('logical-export');
      expect(during).toBeGreaterThan(0);
      expect(report.items).toBeGreaterThanOrEqual(before.length);
      expect(report.items).toBeLessThanOrEqual(load.acknowledged.length + 4);
      expect(report.decryptedVaults).toBe(1);
      console.info(
        `PostgreSQL backup under load: ${before.length} items acknowledged before it started, ${during} more while it ran; ${report.items} in it`,
      );

      // The source is not an empty target.
      const full = await runCli(['restore', out, ...on(source)]);
      expect(full.code).toBe(1);
      expect(full.stderr.trim()).toBe(
        `keyhold: ${withoutPassword(source)} already holds a Keyhold database; a restore goes into an empty database only`,
      );
    } finally {
      await node.stop();
    }

    const servedFrom = async (dataDir: string, args: string[], check: (server: Server) => Promise<void>) => {
      const server = await startServer(dataDir, { extraArgs: args });
      try {
        await check(server);
      } finally {
        expect(await server.stop()).toBe(0);
      }
    };

    const target = await cluster.createDatabase();
    const intoPostgres = await runCli(['restore', out, ...on(target), '--json'], { timeoutMs: 60_000 });
    expect(intoPostgres.code, intoPostgres.stderr).toBe(0);
    expect(JSON.parse(intoPostgres.stdout)).toMatchObject({
      target: withoutPassword(target),
      items: report.items,
      vaults: report.vaults,
      tables: report.tables,
    });
    await servedFrom(tempDataDir(), on(target), async (server) => {
      expect(await unreadable(server, adminToken, vaultId, before)).toEqual([]);
      // The audit trail's sequence continues past the restored events: a new write is recorded.
      await createItem(server, adminToken, vaultId, 100_000);
    });

    // The same file restores into SQLite: one format for both backends.
    const dataDir = tempDataDir();
    const intoSqlite = await runCli([
      'restore',
      out,
      '--data-dir',
      dataDir,
      '--master-key-file',
      key,
      '--json',
    ]);
    expect(intoSqlite.code, intoSqlite.stderr).toBe(0);
    expect(JSON.parse(intoSqlite.stdout)).toMatchObject({ items: report.items, tables: report.tables });
    await servedFrom(dataDir, ['--master-key-file', key], async (server) => {
      expect(await unreadable(server, adminToken, vaultId, before)).toEqual([]);
    });
  });
});
