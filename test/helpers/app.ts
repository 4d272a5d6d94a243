import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { loadConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/schema.js';
import type { Keyring } from '../../src/crypto/keyring.js';
import { type AppOptions, buildApp } from '../../src/http/app.js';
import { initDataDir } from '../../src/main.js';
import { buildServices, type Services } from '../../src/services.js';
import type { Storage } from '../../src/storage/ports.js';

/** The public URL injected requests are made against (no socket is opened). */
export const TEST_PUBLIC_URL = 'http://keyhold.test';

export interface TestApp {
  app: FastifyInstance;
  services: Services;
  /** What the services run on, for tests that look under them. */
  storage: Storage;
  keyring: Keyring;
  config: Config;
  /** Operator admin token of the first account. */
  token: string;
  accountId: string;
  dir: string;
  /** Every log line the app wrote. */
  logs: string[];
  close(): Promise<void>;
}

/**
 * Opens the app on a loopback port, for tests that need a real socket (a replica stream, a node);
 * resolves to its base URL.
 */
export async function listenLocally(t: Pick<TestApp, 'app'>): Promise<string> {
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  const address = t.app.server.address();
  if (!address || typeof address === 'string') throw new Error('the app has no TCP port');
  return `http://127.0.0.1:${address.port}`;
}

/**
 * The real application over a real SQLite database in a fresh temporary data directory, driven
 * with `app.inject` (real routing, parsing and serialisation; no socket).
 */
export async function startTestApp(
  env: Record<string, string> = {},
  options: Pick<AppOptions, 'consoleDir'> & {
    /** Called before `ready()`: hooks added here see every route as it is registered. */
    beforeReady?: (app: FastifyInstance) => void;
  } = {},
): Promise<TestApp> {
  const dir = mkdtempSync(join(tmpdir(), 'keyhold-http-'));
  const config = loadConfig({ KEYHOLD_DATA_DIR: dir, KEYHOLD_LOG_LEVEL: 'info', ...env });
  const init = await initDataDir(config, { ownerPassword: 'correct horse battery staple' });
  const services = buildServices(init.storage, init.keyring, { publicUrl: () => TEST_PUBLIC_URL });
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      logs.push(chunk.toString());
      done();
    },
  });
  const app = buildApp({
    services,
    logger: pino({ level: 'info' }, sink),
    limits: { json: config.bodyLimit, file: config.maxFileSize, inlineFile: config.maxInlineFileSize },
    consoleDir: options.consoleDir,
  });
  options.beforeReady?.(app);
  await app.ready();
  return {
    app,
    services,
    storage: init.storage,
    keyring: init.keyring,
    config,
    token: init.adminToken,
    accountId: init.accountId,
    dir,
    logs,
    async close() {
      await app.close();
      await services.refusals.close();
      await init.storage.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** An authenticated request helper bound to one token. */
export function client(app: FastifyInstance, token: string) {
  const call = (method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', url: string, payload?: unknown) =>
    app.inject({
      method,
      url: `/api/admin${url}`,
      headers: { authorization: `Bearer ${token}` },
      ...(payload === undefined ? {} : { payload: payload as Record<string, unknown> }),
    });
  return {
    get: (url: string) => call('GET', url),
    post: (url: string, body?: unknown) => call('POST', url, body ?? {}),
    put: (url: string, body: unknown) => call('PUT', url, body),
    patch: (url: string, body: unknown) => call('PATCH', url, body),
    delete: (url: string) => call('DELETE', url),
  };
}
