import fs from 'node:fs';
import path from 'node:path';
import { runCli, type Server, startServer, tempDataDir } from './processes.js';

/**
 * A Keyhold service hosting a Connect server, for end-to-end tests that drive the Connect API
 * with real clients. Like `processes.ts`, nothing here knows the server's internals: it goes
 * through `keyhold init`, the admin API and what `keyhold serve` prints.
 */

const started = new Set<Server>();

/** A `keyhold serve --connect …` process: the central service and its hosted Connect servers. */
export interface ConnectService extends Server {
  /** The hosted Connect servers, in the order of the `--connect` flags. */
  connectUrls: string[];
}

/**
 * Starts `keyhold serve --data-dir DIR --port 0 --connect FILE:0 …` and resolves once the
 * `keyhold listening` log line reports the central URL and every Connect URL. Stop it with
 * `stopConnectServices()`.
 */
export async function startConnectService(
  dataDir: string,
  credentialsFiles: string[],
  options: { env?: Record<string, string | undefined>; timeoutMs?: number } = {},
): Promise<ConnectService> {
  const server = await startServer(dataDir, {
    ...options,
    extraArgs: credentialsFiles.flatMap((file) => ['--connect', `${file}:0`]),
  });
  started.add(server);
  const connectUrls = Array.isArray(server.ready.connectUrls) ? (server.ready.connectUrls as string[]) : [];
  if (connectUrls.length !== credentialsFiles.length) {
    await server.kill();
    throw new Error(
      `keyhold serve reported ${connectUrls.length} Connect URLs for ${credentialsFiles.length} --connect flags`,
    );
  }
  return { ...server, connectUrls };
}

/** Kills every process `startConnectService` started that is still running. Call in `afterAll`. */
export async function stopConnectServices(): Promise<void> {
  await Promise.all([...started].map((s) => s.kill()));
  started.clear();
}

/** A failed admin API call: the method, path, status and body, so a test failure says what happened. */
export class AdminApiError extends Error {
  override readonly name = 'AdminApiError';
  constructor(
    readonly status: number,
    readonly body: string,
    what: string,
  ) {
    super(`${what} answered ${status}: ${body}`);
  }
}

/** The admin API of a central service, as one admin token sees it. */
export interface AdminClient {
  /** A JSON call that must answer `expect` (default: 201 for POST, 204 for DELETE, else 200). */
  call<T>(method: string, route: string, body?: unknown, expect?: number): Promise<T>;
  /** Uploads `content` as a file of an item; resolves to the file. */
  upload<T>(vaultId: string, itemId: string, name: string, content: Uint8Array): Promise<T>;
}

export function adminClient(baseUrl: string, adminToken: string): AdminClient {
  const request = async <T>(
    method: string,
    route: string,
    init: { body?: string | Uint8Array; type?: string },
    expected: number,
  ): Promise<T> => {
    const headers: Record<string, string> = { authorization: `Bearer ${adminToken}` };
    if (init.type) headers['content-type'] = init.type;
    const response = await fetch(`${baseUrl}/api/admin${route}`, {
      method,
      headers,
      ...(init.body === undefined ? {} : { body: init.body }),
    });
    const text = await response.text();
    if (response.status !== expected) throw new AdminApiError(response.status, text, `${method} ${route}`);
    return (text === '' ? undefined : JSON.parse(text)) as T;
  };
  return {
    call(method, route, body, expect) {
      const expected = expect ?? (method === 'POST' ? 201 : method === 'DELETE' ? 204 : 200);
      return request(
        method,
        route,
        body === undefined ? {} : { body: JSON.stringify(body), type: 'application/json' },
        expected,
      );
    },
    upload(vaultId, itemId, name, content) {
      return request(
        'POST',
        `/vaults/${vaultId}/items/${itemId}/files?name=${encodeURIComponent(name)}`,
        { body: content, type: 'application/octet-stream' },
        201,
      );
    },
  };
}

/** What `keyhold init --json` prints (the part tests use). */
export interface InitResult {
  accountId: string;
  adminToken: string;
}

/** A created Connect server: its id and the path of its credentials file (mode 0600). */
export interface CreatedServer {
  id: string;
  credentialsFile: string;
}

/** A Connect token as the admin API returns it on creation. */
export interface IssuedToken {
  id: string;
  token: string;
}

export type Grant = { vaultId: string; permissions: ('read' | 'write')[] };

/**
 * The usual set-up of a Connect end-to-end test, in three steps:
 * 1. `start()`: `keyhold init` a fresh data directory and `keyhold serve` it (no Connect yet);
 * 2. `admin` / `createServer` / `issueToken`: vaults, items, files, servers and tokens through
 *    the admin API;
 * 3. `hostConnect()`: stop that service and start it again hosting the servers created in step 2
 *    (`--connect FILE:0` for each). `admin` then points at the new central URL.
 */
export class ConnectFixture {
  readonly dataDir = tempDataDir();
  init!: InitResult;
  admin!: AdminClient;
  centralUrl!: string;
  service?: ConnectService;
  private stopFirst?: () => Promise<number | null>;
  private readonly servers: CreatedServer[] = [];

  async start(): Promise<void> {
    const result = await runCli(['init', '--data-dir', this.dataDir, '--json']);
    if (result.code !== 0) throw new Error(`keyhold init exited with ${result.code}: ${result.stderr}`);
    this.init = JSON.parse(result.stdout) as InitResult;
    const first = await startServer(this.dataDir);
    this.stopFirst = () => first.stop();
    this.centralUrl = first.url;
    this.admin = adminClient(first.url, this.init.adminToken);
  }

  async createServer(name: string, vaultIds: string[]): Promise<CreatedServer> {
    const created = await this.admin.call<{ id: string; credentials: unknown }>('POST', '/servers', {
      name,
      vaults: vaultIds,
    });
    const credentialsFile = path.join(tempDataDir(), `${created.id}-credentials.json`);
    fs.writeFileSync(credentialsFile, JSON.stringify(created.credentials), { mode: 0o600 });
    const server = { id: created.id, credentialsFile };
    this.servers.push(server);
    return server;
  }

  issueToken(serverId: string, name: string, vaults: Grant[], expiresIn?: number): Promise<IssuedToken> {
    return this.admin.call<IssuedToken>('POST', `/servers/${serverId}/tokens`, {
      name,
      vaults,
      ...(expiresIn === undefined ? {} : { expiresIn }),
    });
  }

  /** The credentials files of the servers created so far, in creation order. */
  get credentialsFiles(): string[] {
    return this.servers.map((s) => s.credentialsFile);
  }

  async hostConnect(): Promise<ConnectService> {
    const code = await this.stopFirst?.();
    if (code !== 0) throw new Error(`the first keyhold serve stopped with ${code}`);
    this.service = await startConnectService(
      this.dataDir,
      this.servers.map((s) => s.credentialsFile),
    );
    this.centralUrl = this.service.url;
    this.admin = adminClient(this.service.url, this.init.adminToken);
    return this.service;
  }
}
