import type { FastifyInstance } from 'fastify';
import { type Logger, pino } from 'pino';
import { createDataDir, isInitialized, type OpenStore, openDataDir } from './bootstrap/data-dir.js';
import { type BootstrapCredentials, initializeAccount } from './bootstrap/initialize.js';
import type { Config } from './config/schema.js';
import { buildApp } from './http/app.js';
import { buildServices } from './services.js';

/** What the first start of an uninitialised data directory creates. */
export const DEFAULT_ACCOUNT_NAME = 'Default';
export const DEFAULT_OWNER_EMAIL = 'owner@keyhold.local';

export interface InitOptions {
  accountName?: string;
  ownerEmail?: string;
  ownerPassword?: string;
}

export interface Initialized extends BootstrapCredentials {
  dataDir: string;
  masterKeyFile: string | null;
}

/** `keyhold init`: a new data directory with its master key, database, first account and owner. */
export async function initDataDir(
  config: Config,
  options: InitOptions = {},
): Promise<Initialized & OpenStore> {
  const opened = await createDataDir(config);
  try {
    const credentials = await initializeAccount(opened.storage, {
      accountName: options.accountName ?? DEFAULT_ACCOUNT_NAME,
      ownerEmail: options.ownerEmail ?? DEFAULT_OWNER_EMAIL,
      ...(options.ownerPassword === undefined ? {} : { ownerPassword: options.ownerPassword }),
    });
    return { ...opened, ...credentials, dataDir: config.dataDir };
  } catch (error) {
    await opened.storage.close();
    throw error;
  }
}

export function createLogger(config: Pick<Config, 'logLevel'>): Logger {
  return pino({
    level: config.logLevel,
    base: { service: 'keyhold' },
    // Defence in depth: nothing logs these paths today, and nothing ever should.
    redact: {
      paths: ['req.headers.authorization', 'headers.authorization', '*.password', '*.token', '*.value'],
      censor: '[redacted]',
    },
  });
}

export interface RunningService {
  app: FastifyInstance;
  url: string;
  /** Set when this start initialised the data directory: shown once, then gone. */
  bootstrap?: Initialized;
  close(): Promise<void>;
}

/**
 * Composition root: config → storage → services → HTTP → listen. Initialises the data directory
 * on first start; otherwise opens it, refusing a wrong master key before touching anything.
 */
export async function startService(
  config: Config,
  logger: Logger = createLogger(config),
): Promise<RunningService> {
  let bootstrap: Initialized | undefined;
  let opened: OpenStore;
  if (isInitialized(config.dataDir)) {
    opened = await openDataDir(config);
  } else {
    const created = await initDataDir(config);
    const { storage, keyring, ...credentials } = created;
    opened = { storage, keyring };
    bootstrap = credentials;
  }
  const services = buildServices(opened.storage, opened.keyring);
  const app = buildApp({ services, logger, limits: { json: config.bodyLimit, file: config.maxFileSize } });
  try {
    await app.listen({ host: config.host, port: config.port });
  } catch (error) {
    await opened.storage.close();
    throw error;
  }
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  return {
    app,
    url: `http://${host}:${port}`,
    ...(bootstrap ? { bootstrap } : {}),
    async close() {
      await app.close();
      await opened.storage.close();
    },
  };
}
