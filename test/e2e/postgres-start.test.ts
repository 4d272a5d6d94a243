import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateMasterKey } from '../../src/crypto/master-key.js';
import { withoutPassword } from '../../src/storage/postgres/backend.js';
import { connectAsAdmin, type PostgresCluster, queryAsAdmin, startPostgres } from '../helpers/postgres.js';
import { cleanup, runCli, startServer, tempDataDir } from '../helpers/processes.js';

/**
 * `keyhold init`, `serve` and `recover` against PostgreSQL (`--database-url`), as an operator
 * runs them: real processes on a throwaway cluster.
 */
let cluster: PostgresCluster;
beforeAll(async () => {
  cluster = await startPostgres();
});
afterAll(async () => {
  await cleanup();
  cluster.stop();
});

/** A key file every "node" of a test shares, as the deployment guide says to distribute it. */
function sharedKey(): string {
  const file = join(tempDataDir(), 'master.key');
  writeFileSync(file, `${generateMasterKey()}\n`, { mode: 0o600 });
  return file;
}

async function count(url: string, table: string): Promise<number> {
  const [row] = await queryAsAdmin<{ n: number }>(url, `select count(*)::int as n from ${table}`);
  return row?.n ?? Number.NaN;
}

describe('keyhold init --database-url', () => {
  it('of four inits racing on one empty database exactly one commits; the others are refused and leave nothing', async () => {
    const url = await cluster.createDatabase();
    const key = sharedKey();
    const results = await Promise.all(
      [1, 2, 3, 4].map(() =>
        runCli(['init', '--database-url', url, '--master-key-file', key, '--json'], { timeoutMs: 60_000 }),
      ),
    );
    const won = results.filter((r) => r.code === 0);
    expect(won).toHaveLength(1);
    for (const lost of results.filter((r) => r.code !== 0)) {
      expect(lost.code).toBe(1);
      expect(lost.stderr.trim()).toBe(
        `keyhold: ${withoutPassword(url)} already holds a Keyhold database; refusing to initialise it again`,
      );
    }
    const init = JSON.parse(won[0]?.stdout ?? '{}') as { database: string; masterKeyFile: string };
    expect(init.database).toBe(withoutPassword(url));
    expect(init.masterKeyFile).toBe(key);
    expect(await count(url, 'accounts')).toBe(1);
    expect(await count(url, 'users')).toBe(1);
    expect(await count(url, 'admin_tokens')).toBe(1);
  });

  it('creates the master key file when there is none, and a node with another key is refused', async () => {
    const url = await cluster.createDatabase();
    const dir = tempDataDir();
    const created = await runCli([
      'init',
      '--database-url',
      url,
      '--master-key-file',
      join(dir, 'k'),
      '--json',
    ]);
    expect(created.code, created.stderr).toBe(0);
    const other = sharedKey();
    const refused = await runCli(['recover', '--database-url', url, '--master-key-file', other]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^keyhold: the master key does not match the database in postgres:\/\//);
  });
  it('refuses a database that holds another application’s tables (init, serve, restore), and leaves it exactly as it was', async () => {
    // Tables of another application: one Keyhold also has (users), and ones it has not (orders).
    for (const tables of [['orders', 'invoices'], ['users'], ['meta']]) {
      const url = await cluster.createDatabase();
      const admin = await connectAsAdmin(url);
      const listTables = async () =>
        (
          await admin.query<{ name: string }>(
            `select table_name as name from information_schema.tables where table_schema = 'public' order by 1`,
          )
        ).rows.map((r) => r.name);
      try {
        for (const t of tables)
          await admin.query(`create table ${t} (id int primary key, key text, value text)`);
        const before = await listTables();
        const key = join(tempDataDir(), 'master.key');
        // A restore is refused on the target alone, before its file is even read.
        const commands = { init: [], serve: ['--port', '0'], restore: [join(tempDataDir(), 'any.backup')] };
        for (const [command, extra] of Object.entries(commands)) {
          const result = await runCli([command, ...extra, '--database-url', url, '--master-key-file', key], {
            timeoutMs: 30_000,
          });
          expect(result.code, `${command} on ${tables}: ${result.stdout}`).toBe(1);
          expect(result.stdout).toBe('');
          expect(result.stderr.trim()).toBe(
            `keyhold: ${withoutPassword(url)} holds tables that are not Keyhold’s (${[...tables].sort().join(', ')}); give Keyhold an empty database of its own`,
          );
        }
        // Nothing created in it (no migration bookkeeping either), and no key file written.
        expect(await listTables()).toEqual(before);
        expect(existsSync(key)).toBe(false);
      } finally {
        await admin.end();
      }
    }
  });
});

describe('keyhold serve --database-url', () => {
  it('initialises an empty database on first start, then starts on it without printing credentials again', async () => {
    const url = await cluster.createDatabase();
    const key = sharedKey();
    const args = ['--database-url', url, '--master-key-file', key];
    const first = await startServer(tempDataDir(), { extraArgs: args });
    expect(first.lines.join('\n')).toContain('These credentials are shown once.');
    expect(first.ready.database).toBe(withoutPassword(url));
    expect(await first.stop()).toBe(0);
    const dataDir = tempDataDir();
    const second = await startServer(dataDir, { extraArgs: args });
    expect(second.lines.join('\n')).not.toContain('These credentials are shown once.');
    // No data-directory lock: a second node with the same data directory starts beside it.
    const third = await startServer(dataDir, { extraArgs: args });
    expect((await fetch(`${third.url}/health`)).status).toBe(200);
    // recover is one more writer on PostgreSQL: it does not wait for the nodes to stop.
    const recovered = await runCli(['recover', ...args, '--json']);
    expect(recovered.code, recovered.stderr).toBe(0);
    const token = (JSON.parse(recovered.stdout) as { adminToken: string }).adminToken;
    const whoami = await fetch(`${second.url}/api/admin/whoami`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(whoami.status).toBe(200);
    await second.stop();
    await third.stop();
  });

  it('of three nodes starting at once on an empty database, one initialises it and prints the credentials; all three serve', async () => {
    const url = await cluster.createDatabase();
    const args = ['--database-url', url, '--master-key-file', sharedKey()];
    const nodes = await Promise.all(
      [1, 2, 3].map(() => startServer(tempDataDir(), { extraArgs: args, timeoutMs: 60_000 })),
    );
    try {
      const printed = nodes.filter((n) => n.lines.join('\n').includes('These credentials are shown once.'));
      expect(printed).toHaveLength(1);
      for (const node of nodes) expect((await fetch(`${node.url}/health`)).status).toBe(200);
      expect(await count(url, 'accounts')).toBe(1);
    } finally {
      await Promise.all(nodes.map((n) => n.stop()));
    }
  });

  it('never echoes a database password: not for a malformed URL, not for an unreachable server', async () => {
    const malformed = await runCli(['serve', '--database-url', 'mysql://keyhold:hunter2-secret@db/keyhold']);
    expect(malformed.code).toBe(1);
    expect(malformed.stderr.trim()).toBe(
      'keyhold: --database-url is invalid: must be a postgres:// or postgresql:// connection URL, with any / ? # @ in its user or password percent-encoded',
    );
    const unreachable = await runCli(
      [
        'init',
        '--database-url',
        'postgres://keyhold:hunter2-secret@127.0.0.1:1/keyhold?sslpassword=also-secret',
      ],
      { timeoutMs: 30_000 },
    );
    expect(unreachable.code).toBe(1);
    expect(unreachable.stderr).toMatch(
      /^keyhold: cannot read the database at postgres:\/\/keyhold@127\.0\.0\.1:1\/keyhold: /,
    );
    expect(unreachable.stderr + unreachable.stdout).not.toMatch(/hunter2|also-secret/);
    // A password with a character it should have been percent-encoded with: the URL then reads
    // as a host `keyhold` on a "port" made of the password's first digits.
    for (const password of ['2718/e-secret', '3141?pi-secret', '1618#phi-secret']) {
      const garbled = await runCli(
        ['init', '--database-url', `postgres://keyhold:${password}@127.0.0.1:1/keyhold`],
        {
          timeoutMs: 30_000,
        },
      );
      expect(garbled.code).toBe(1);
      expect(garbled.stderr.trim()).toBe(
        'keyhold: --database-url is invalid: must be a postgres:// or postgresql:// connection URL, with any / ? # @ in its user or password percent-encoded',
      );
      const printed = garbled.stderr + garbled.stdout;
      for (const part of password.split(/[/?#]/)) expect(printed, printed).not.toContain(part);
    }
  });
});
