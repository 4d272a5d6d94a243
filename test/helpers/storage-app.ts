import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { initializeAccount } from '../../src/bootstrap/initialize.js';
import { Keyring } from '../../src/crypto/keyring.js';
import { buildApp } from '../../src/http/app.js';
import { buildServices } from '../../src/services.js';
import type { Storage } from '../../src/storage/ports.js';
import { TEST_PUBLIC_URL } from './app.js';

export interface StorageApp {
  app: FastifyInstance;
  /** An owner admin token of the first (operator) account. */
  token: string;
  accountId: string;
  /** The app's log lines. */
  logs: string[];
  close(): Promise<void>;
}

/**
 * The real application over a Storage the test opened (any backend), with a first account made
 * as `keyhold init` makes it, driven with `app.inject`. Closing it closes the storage too.
 */
export async function startAppOn(storage: Storage): Promise<StorageApp> {
  const keyring = new Keyring(Buffer.alloc(32, 9));
  const init = await initializeAccount(storage, keyring, {
    accountName: 'Default',
    ownerEmail: 'owner@keyhold.local',
    ownerPassword: 'correct horse battery staple',
  });
  const services = buildServices(storage, keyring, { publicUrl: () => TEST_PUBLIC_URL });
  const logs: string[] = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => void logs.push(line) });
  const app = buildApp({
    services,
    logger,
    limits: { json: 1024 * 1024, file: 1024 * 1024, inlineFile: 100 * 1024 },
  });
  await app.ready();
  return {
    app,
    token: init.adminToken,
    accountId: init.accountId,
    logs,
    async close() {
      await app.close();
      await services.refusals.close();
      await storage.close();
    },
  };
}
