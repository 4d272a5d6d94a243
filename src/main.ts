import type { FastifyInstance } from 'fastify';
import { type Logger, pino } from 'pino';
import { type BootstrapCredentials, initializeAccount } from './bootstrap/initialize.js';
import { AlreadyInitialisedError, createStore, type OpenStore, openStore } from './bootstrap/store.js';
import type { Config } from './config/schema.js';
import { inProcessCentral } from './connect-server/central/in-process-client.js';
import { pruneReplicaLog } from './connect-server/central/replica-retention.js';
import { readCredentialsFile } from './connect-server/node/credentials.js';
import { type AuditRetention, pruneAudit } from './domain/audit/retention.js';
import { purgeExpired } from './domain/oauth/purge.js';
import { buildApp } from './http/app.js';
import { proxyTrust } from './http/client-address.js';
import { buildConnectApp, type ConnectApp } from './http/connect/app.js';
import { listeningUrl } from './http/listening-url.js';
import { centralMetrics } from './http/metrics/central-metrics.js';
import { listenMetrics, type MetricsListener } from './http/metrics/metrics-listener.js';
import { loadTls, reloadTls, type TlsFiles } from './http/tls.js';
import { coalescedLines } from './log-lines.js';
import { buildServices } from './services.js';
import { meterAudit } from './storage/audit-meter.js';
import type { Backend } from './storage/backend.js';
import { chooseBackend } from './storage/choose-backend.js';
import { isUniqueViolation } from './storage/errors.js';

/** What the first start of an uninitialised data directory creates. */
export const DEFAULT_ACCOUNT_NAME = 'Default';
export const DEFAULT_OWNER_EMAIL = 'owner@keyhold.local';

export interface InitOptions {
  accountName?: string;
  ownerEmail?: string;
  ownerPassword?: string;
}

export interface Initialized extends BootstrapCredentials {
  /** Where the database is (the SQLite file, or the PostgreSQL URL without its password). */
  database: string;
  masterKeyFile: string | null;
}

/**
 * `keyhold init`: a new database with its master key, first account and owner. Of several
 * initialisations racing on one empty PostgreSQL database, one commits; the others are refused
 * with AlreadyInitialisedError and leave nothing behind.
 */
export async function initDataDir(
  config: Config,
  options: InitOptions = {},
  backend: Backend = chooseBackend(config),
): Promise<Initialized & OpenStore> {
  const opened = await createStore(config, backend);
  try {
    const credentials = await initializeAccount(
      opened.storage,
      opened.keyring,
      {
        accountName: options.accountName ?? DEFAULT_ACCOUNT_NAME,
        ownerEmail: options.ownerEmail ?? DEFAULT_OWNER_EMAIL,
        ...(options.ownerPassword === undefined ? {} : { ownerPassword: options.ownerPassword }),
      },
      opened.claim,
    );
    const { claim: _claim, ...store } = opened;
    return { ...store, ...credentials, database: backend.location };
  } catch (error) {
    await opened.storage.close();
    if (isUniqueViolation(error)) throw new AlreadyInitialisedError(backend.location);
    throw error;
  }
}

/** How long a log line may wait to cross to pino's transport thread with the lines after it. */
const LOG_HOLD_MS = 10;

export function createLogger(config: Pick<Config, 'logLevel'>): Logger {
  return pino(
    {
      level: config.logLevel,
      base: { service: 'keyhold' },
      // Defence in depth: nothing logs these paths today, and nothing ever should.
      redact: {
        paths: ['req.headers.authorization', 'headers.authorization', '*.password', '*.token', '*.value'],
        censor: '[redacted]',
      },
    },
    // Written by pino's transport thread: the serving thread only formats a line, and a turn's
    // lines are copied into a shared buffer together; the write syscalls, and the thread-pool
    // round trips of asynchronous writes, run on that thread. Against writing from the serving
    // thread this served 1-4% more item reads per second (bench/connect-ab.mjs), with a lower
    // p99 in three pairings of four. `pino/file` there is sonic-boom, asynchronous: what is buffered
    // is flushed when the process exits, and a log reader that stops reading costs memory only
    // up to maxLength, past which lines are dropped (the audit trail is not a log line), so the
    // transport thread keeps draining the shared buffer and logging never blocks a request.
    // maxWrite: sonic-boom appends each line to a string chunk of up to this size and measures
    // the whole chunk again per line, copying it flat; its 16 KiB default made that copy the
    // larger part of a request line's cost (bench/log-line.mjs). 4 KiB still writes dozens of
    // lines at once.
    // The lines of a few milliseconds cross to that thread together (log-lines.ts).
    coalescedLines(
      pino.transport({
        target: 'pino/file',
        options: { destination: 1, maxLength: 16 * 1024 * 1024, maxWrite: 4096 },
      }),
      LOG_HOLD_MS,
    ),
  );
}

/**
 * Expired OAuth codes, tokens, sessions and login throttle keys, and audit events past their
 * retention, are deleted at start and then every hour.
 */
const PURGE_INTERVAL_MS = 3600 * 1000;

/**
 * Runs `job` now and then every `PURGE_INTERVAL_MS`; the returned function stops it and waits for
 * a run in progress. Never two runs at once: one that outlasts the interval is waited for, not
 * overlapped. The job reports its own outcome (it must not reject).
 */
function everyHour(job: () => Promise<void>): () => Promise<void> {
  let running: Promise<void> = Promise.resolve();
  const run = () => {
    running = running.then(job);
  };
  run();
  // unref: a pending run never keeps the process alive.
  const timer = setInterval(run, PURGE_INTERVAL_MS).unref();
  return async () => {
    clearInterval(timer);
    await running;
  };
}

/**
 * Opens the database, initialising it when it holds nothing yet. Nodes starting together on one
 * empty PostgreSQL database all try; the one whose initialisation commits prints the bootstrap
 * credentials, and the others — refused with AlreadyInitialisedError, whether they found its
 * database before writing anything or lost the race to commit — open what it made.
 */
async function openOrInitialise(
  config: Config,
  backend: Backend,
): Promise<{ opened: OpenStore; bootstrap?: Initialized }> {
  try {
    const { storage, keyring, ...credentials } = await initDataDir(config, {}, backend);
    return { opened: { storage, keyring }, bootstrap: credentials };
  } catch (error) {
    if (error instanceof AlreadyInitialisedError) return { opened: await openStore(config, backend) };
    throw error;
  }
}

/** A Connect server hosted inside `keyhold serve`, from `--connect FILE[:PORT]`. */
export interface HostedConnect {
  credentialsFile: string;
  port: number;
}

export interface RunningService {
  app: FastifyInstance;
  url: string;
  /** Where the database is (the SQLite file, or the PostgreSQL URL without its password). */
  database: string;
  /** URLs of the Connect servers hosted in this process, in the order they were given. */
  connectUrls: string[];
  /** Where Prometheus metrics are served (KEYHOLD_METRICS_LISTEN), when they are. */
  metricsUrl?: string;
  /** Set when this start initialised the data directory: shown once, then gone. */
  bootstrap?: Initialized;
  /**
   * With TLS on: reads the certificate and key files again and serves them on every listener
   * (the central service's and the Connect servers' it hosts). Throws a ConfigError, changing
   * nothing, when they are unusable.
   */
  reloadTls?: () => void;
  close(): Promise<void>;
}

/**
 * Composition root: config → storage → services → HTTP → listen. Initialises the data directory
 * on first start; otherwise opens it, refusing a wrong master key before touching anything.
 */
export async function startService(
  config: Config,
  logger: Logger = createLogger(config),
  hosted: HostedConnect[] = [],
): Promise<RunningService> {
  // Read before the data directory is touched: a bad certificate stops the start cleanly.
  const tlsFiles: TlsFiles | undefined =
    config.tlsCertFile && config.tlsKeyFile
      ? {
          certFile: config.tlsCertFile,
          keyFile: config.tlsKeyFile,
          settings: { cert: 'KEYHOLD_TLS_CERT_FILE', key: 'KEYHOLD_TLS_KEY_FILE' },
        }
      : undefined;
  const https = tlsFiles ? loadTls(tlsFiles) : undefined;
  const trustProxy = proxyTrust(config.trustProxy);
  const backend = chooseBackend(config);
  // First: where one process owns the database (SQLite), a second must not even read it.
  const hold = backend.hold();
  let bootstrap: Initialized | undefined;
  let opened: OpenStore;
  try {
    ({ opened, bootstrap } = await openOrInitialise(config, backend));
  } catch (error) {
    hold.release();
    throw error;
  }
  const upgrade = opened.headsUpgrade;
  if (upgrade) {
    const { refused, ...written } = upgrade;
    logger.info(written, 'item heads written for rows stored before they existed');
    // Ids only: which rows were found tampered with, never what they hold.
    if (refused.length > 0) logger.warn({ refused }, 'rows found altered during the item heads upgrade');
  }
  let publicUrl: string | undefined;
  // Collected only where they are served: the per-request hooks cost nothing otherwise.
  const metrics = config.metricsListen ? centralMetrics(() => opened.storage.stats()) : undefined;
  const storage = metrics ? meterAudit(opened.storage, metrics.audit) : opened.storage;
  const services = buildServices(storage, opened.keyring, {
    // Known once listening (the port may be 0 until then); read on every OAuth request.
    publicUrl: () => (publicUrl ??= config.publicUrl ?? listeningUrl(app, config.host)),
    onSummaryError: (err, count) =>
      logger.error({ err, count }, 'an audit summary of refused requests could not be written'),
  });
  const app: FastifyInstance = buildApp({
    services,
    logger,
    limits: { json: config.bodyLimit, file: config.maxFileSize, inlineFile: config.maxInlineFileSize },
    https,
    trustProxy,
    metrics,
  });
  const connectApps: ConnectApp[] = [];
  let metricsListener: MetricsListener | undefined;
  const stopPurge = everyHour(() =>
    purgeExpired(opened.storage).then(
      (purged) => logger.info(purged, 'expired oauth rows purged'),
      (err: unknown) => logger.error({ err }, 'purging expired oauth rows failed'),
    ),
  );
  const retention: AuditRetention = {
    successDays: config.auditRetentionDays,
    refusalDays: config.auditRefusalRetentionDays,
  };
  const stopPruning = everyHour(() =>
    pruneAudit(opened.storage.audit, retention).then(
      (pruned) => logger.info(pruned, 'audit events past retention pruned'),
      (err: unknown) => logger.error({ err }, 'pruning audit events failed'),
    ),
  );
  const stopReplicaPruning = everyHour(() =>
    pruneReplicaLog(opened.storage).then(
      (pruned) => logger.info({ pruned }, 'replica change log past retention pruned'),
      (err: unknown) => logger.error({ err }, 'pruning the replica change log failed'),
    ),
  );
  let closing = false;
  const close = async () => {
    closing = true;
    await stopPurge();
    await stopPruning();
    await stopReplicaPruning();
    for (const c of connectApps) await c.close();
    await metricsListener?.close();
    await app.close();
    // Once nothing can be refused any more: the summaries still open are written.
    await services.refusals.close();
    await opened.storage.close();
    hold.release();
  };
  try {
    for (const h of hosted) {
      const credentials = readCredentialsFile(h.credentialsFile);
      const server = await opened.storage.connectServers.get(credentials.accountId, credentials.serverId);
      if (!server)
        throw new Error(
          `${h.credentialsFile}: server ${credentials.serverId} does not exist in this service`,
        );
      connectApps.push(
        buildConnectApp({
          central: inProcessCentral(services, server.id),
          logger: logger.child({ connectServer: server.id }),
          limits: { json: config.bodyLimit, file: config.maxFileSize, inlineFile: config.maxInlineFileSize },
          // A hosted Connect server is on this host: it serves the central service's certificate.
          https,
          trustProxy,
        }),
      );
    }
    await app.listen({ host: config.host, port: config.port });
    for (const [i, c] of connectApps.entries())
      await c.listen({ host: config.host, port: hosted[i]?.port ?? 0 });
    if (metrics && config.metricsListen) {
      metricsListener = await listenMetrics({
        registry: metrics.registry,
        ...config.metricsListen,
        token: config.metricsToken,
        https,
      });
    }
  } catch (error) {
    await close();
    throw error;
  }
  // Large vaults' item indexes are built now, in the background, rather than by the first console
  // request for each (domain/items/overview-index.ts; docs/performance.md).
  services.items.warmIndexes().then(
    (warmed) => {
      if (warmed.vaults > 0) logger.info(warmed, 'item indexes warmed');
    },
    // A failure because the service is closing is no failure.
    (err: unknown) => closing || logger.error({ err }, 'warming the item indexes failed'),
  );
  return {
    app,
    url: listeningUrl(app, config.host),
    database: backend.location,
    connectUrls: connectApps.map((c) => listeningUrl(c, config.host)),
    ...(metricsListener ? { metricsUrl: metricsListener.url } : {}),
    ...(bootstrap ? { bootstrap } : {}),
    ...(tlsFiles
      ? {
          reloadTls: () =>
            reloadTls(
              [
                app.server,
                ...connectApps.map((c) => c.server),
                ...(metricsListener ? [metricsListener.server] : []),
              ],
              tlsFiles,
            ),
        }
      : {}),
    close,
  };
}
