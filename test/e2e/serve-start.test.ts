import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanup, runCli, sha256File, startServer, tempDataDir } from '../helpers/processes.js';

/**
 * `keyhold serve` start-up: first start initialises and shows the credentials once; a start that
 * cannot be allowed (wrong or missing master key, bad setting) stops with a clear message and
 * leaves the database exactly as it was.
 */

let dataDir: string;
let firstStart: string[];
let adminToken: string;

/**
 * The data directory as a refused start must leave it: the same files, and the same bytes in the
 * database and its WAL.
 */
const fingerprint = () => {
  const wal = path.join(dataDir, 'keyhold.db-wal');
  return {
    files: fs.readdirSync(dataDir).sort(),
    db: sha256File(path.join(dataDir, 'keyhold.db')),
    wal: fs.existsSync(wal) ? sha256File(wal) : null,
  };
};

/** A `serve` that is expected to fail; if it starts anyway the helper's timeout kills it. */
const refusedServe = (env: Record<string, string>, flags = ['--port', '0']) =>
  runCli(['serve', '--data-dir', dataDir, ...flags], { env, timeoutMs: 15_000 });

beforeAll(async () => {
  dataDir = tempDataDir();
  const server = await startServer(dataDir);
  firstStart = [...server.lines];
  adminToken = /admin token:\s+(\S+)/.exec(firstStart.join('\n'))?.[1] ?? '';
  expect(await server.stop()).toBe(0);
});

afterAll(cleanup);

describe('keyhold serve', () => {
  it('prints the bootstrap credentials on the first start, as plain text before the log', () => {
    const listening = firstStart.findIndex((line) => line.includes('"msg":"keyhold listening"'));
    const credentials = firstStart.slice(0, listening).join('\n');
    expect(credentials).toContain(`Keyhold initialised in ${dataDir}`);
    expect(credentials).toContain(`master key file: ${path.join(dataDir, 'master.key')}`);
    expect(credentials).toMatch(/owner:\s+owner@keyhold\.local {2}password: \S{12,}/);
    expect(credentials).toContain('These credentials are shown once.');
    expect(adminToken).toMatch(/^khadm_/);
    // The structured log never carries the token.
    const logs = firstStart.filter((line) => line.startsWith('{'));
    expect(logs.length).toBeGreaterThan(0);
    for (const line of logs) expect(line).not.toContain(adminToken);
  });

  it('does not print them again on the next start, and the first token still works', async () => {
    const server = await startServer(dataDir);
    try {
      const output = server.lines.join('\n');
      expect(output).not.toContain('admin token');
      expect(output).not.toContain('Keyhold initialised');
      const whoami = await fetch(`${server.url}/api/admin/whoami`, {
        headers: { authorization: `Bearer ${adminToken}` },
      });
      expect(whoami.status).toBe(200);
      expect(await whoami.json()).toMatchObject({ operator: true });
    } finally {
      expect(await server.stop()).toBe(0);
    }
  });

  it('refuses a wrong KEYHOLD_MASTER_KEY without touching the database or its pending WAL', async () => {
    // A crash leaves committed writes in the WAL; a refused start must not replay or checkpoint them.
    const server = await startServer(dataDir);
    const created = await fetch(`${server.url}/api/admin/vaults`, {
      method: 'POST',
      headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'written before the crash' }),
    });
    expect(created.status).toBe(201);
    await server.kill();
    const before = fingerprint();
    expect(before.db).not.toBeNull();
    expect(before.wal).not.toBeNull();
    const result = await refusedServe({ KEYHOLD_MASTER_KEY: randomBytes(32).toString('base64') });
    expect(result.code).not.toBe(0);
    expect(result.code).not.toBeNull();
    expect(result.stderr).toMatch(
      /^keyhold: the master key does not match the database in .*keyhold\.db; use the key it was created with$/m,
    );
    expect(result.stdout).not.toContain('keyhold listening');
    expect(fingerprint()).toEqual(before);
  });

  it('refuses to start when the key file is gone, without touching the database', async () => {
    fs.renameSync(path.join(dataDir, 'master.key'), path.join(dataDir, 'master.key.moved'));
    const before = fingerprint();
    try {
      const result = await refusedServe({});
      expect(result.code).not.toBe(0);
      expect(result.code).not.toBeNull();
      expect(result.stderr).toMatch(
        /^keyhold: the master key is missing: KEYHOLD_MASTER_KEY is not set and .*master\.key does not exist/m,
      );
      expect(fingerprint()).toEqual(before);
      expect(fs.existsSync(path.join(dataDir, 'master.key'))).toBe(false);
    } finally {
      fs.renameSync(path.join(dataDir, 'master.key.moved'), path.join(dataDir, 'master.key'));
    }
  });

  it('refuses KEYHOLD_PORT=abc, naming the variable and what is allowed', async () => {
    // No --port flag here: it would take precedence over the variable.
    const result = await refusedServe({ KEYHOLD_PORT: 'abc' }, []);
    expect(result.code).not.toBe(0);
    expect(result.code).not.toBeNull();
    expect(result.stderr.trim()).toBe(
      'keyhold: KEYHOLD_PORT is invalid (got "abc"): must be an integer from 0 to 65535',
    );
  });
});
