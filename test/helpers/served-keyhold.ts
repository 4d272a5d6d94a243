import { expect } from 'vitest';
import { adminJson } from './admin-http.js';
import { cmd, type RunResult, runCli, type Server, startServer, tempDataDir } from './processes.js';

/** What `keyhold init --json` prints (no `--admin-password`, so the owner's is generated). */
export interface Initialized {
  accountId: string;
  accountName: string;
  ownerId: string;
  ownerEmail: string;
  ownerPassword: string;
  adminToken: string;
  /** The database file, `keyhold.db` in the data directory. */
  database: string;
  /** Written by `init`: the tests run without KEYHOLD_MASTER_KEY (childEnv drops it). */
  masterKeyFile: string;
}

/**
 * A fresh data directory made by `keyhold init` and served by `keyhold serve`, with the CLI and
 * the admin API pointed at it. Stop it with `server.stop()` and `cleanup()` in `afterAll`.
 */
export interface ServedKeyhold {
  dataDir: string;
  /** `init`'s own run, for tests about what it printed. */
  initResult: RunResult;
  init: Initialized;
  /** The running `keyhold serve`; `restart()` replaces it. */
  server: Server;
  /** Serves the data directory again once `server` was stopped (e.g. for `keyhold recover`). */
  restart(): Promise<Server>;
  /** `keyhold ARGS --addr URL --token TOKEN`, with the bootstrap owner token unless another is given. */
  kh(args: string[], token?: string): Promise<RunResult>;
  /** `kh` with `--json`: insists on exit 0 and parses what the command printed. */
  json<T>(args: string[], token?: string): Promise<T>;
  /** The admin API over HTTP with `token` (the bootstrap owner's by default); throws on a non-2xx. */
  admin<T = unknown>(method: string, path: string, body?: unknown, token?: string): Promise<T>;
}

export async function serveInitialized(): Promise<ServedKeyhold> {
  const dataDir = tempDataDir();
  const initResult = await runCli(cmd`init --data-dir ${dataDir} --json`);
  if (initResult.code !== 0) throw new Error(`keyhold init exited ${initResult.code}: ${initResult.stderr}`);
  const init = JSON.parse(initResult.stdout) as Initialized;
  const kh = (args: string[], token = init.adminToken) =>
    runCli([...args, '--addr', served.server.url, '--token', token]);
  const served: ServedKeyhold = {
    dataDir,
    initResult,
    init,
    server: await startServer(dataDir),
    async restart() {
      served.server = await startServer(dataDir);
      return served.server;
    },
    kh,
    async json<T>(args: string[], token?: string): Promise<T> {
      const result = await kh([...args, '--json'], token);
      if (result.code !== 0)
        throw new Error(`keyhold ${args.join(' ')} exited ${result.code}: ${result.stderr}`);
      return JSON.parse(result.stdout) as T;
    },
    admin: <T>(method: string, path: string, body?: unknown, token = init.adminToken) =>
      adminJson(served.server, token)<T>(method, path, body),
  };
  return served;
}

/**
 * The one line a refused command printed: it exits non-zero, prints nothing on standard output
 * and exactly one line on standard error.
 */
export function failure(result: RunResult): string {
  expect(result.code, result.stdout).not.toBe(0);
  expect(result.stdout).toBe('');
  const lines = result.stderr.trimEnd().split('\n');
  expect(lines, result.stderr).toHaveLength(1);
  return lines[0] as string;
}
