import { mkdirSync } from 'node:fs';
import type { Logger } from 'pino';
import type { ConnectCredentials } from '../../domain/connect/server-service.js';
import { AppError } from '../../errors/app-error.js';
import { untrustedCertificateHint } from '../../http/certificate-hint.js';
import type { ProxyTrust } from '../../http/client-address.js';
import { buildConnectApp, type ConnectApp } from '../../http/connect/app.js';
import { listeningUrl } from '../../http/listening-url.js';
import { loadTls, reloadTls, type TlsFiles } from '../../http/tls.js';
import { httpCentral } from '../wire/http-client.js';
import type { ReplicaRecord } from '../wire/replica-protocol.js';
import { CredentialsError } from './credentials.js';
import { type NodeReads, nodeCentral } from './node-client.js';
import type { Outbox, Replica } from './replica.js';
import { AuditShipper } from './shipper.js';
import { SyncClient } from './sync.js';
import { type SyncState, syncState } from './sync-state.js';

/**
 * The replica and outbox of a node's data directory, and the reads served from them: the store
 * (kept apart from the sync and lifecycle here, which only use these seams).
 */
export interface NodeStore<R extends Replica = Replica> {
  /**
   * Opens the data directory's replica and outbox, creating them when there are none. Refuses
   * (throws, with a message for the operator) a replica made for another server or account.
   */
  open(options: {
    dataDir: string;
    credentials: ConnectCredentials;
    logger: Logger;
  }): Promise<{ replica: R; outbox: Outbox }>;
  /** The Connect reads answered from the replica, their audit events appended to `outbox`. */
  reads(parts: { replica: R; outbox: Outbox; credentials: ConnectCredentials; logger: Logger }): NodeReads;
}

export interface RemoteConnectOptions {
  credentials: ConnectCredentials;
  central: string;
  host: string;
  port: number;
  logger: Logger;
  limits: { json: number; file: number; inlineFile: number };
  /** OP_TLS_CERT_FILE / OP_TLS_KEY_FILE: serve HTTPS. */
  tls?: TlsFiles;
  trustProxy?: ProxyTrust | undefined;
  /**
   * A standalone node: a replica in `dataDir`, fed by the change stream, serving reads for up to
   * `maxStalenessMs` after its last sync. Without it every call goes to the central service.
   */
  node?: {
    dataDir: string;
    maxStalenessMs: number;
    // biome-ignore lint/suspicious/noExplicitAny: the store's own replica type stays between its open() and reads()
    store: NodeStore<any>;
    /** How long to wait for the first sync before listening (default STARTUP_SYNC_MS). */
    startupSyncMs?: number;
  };
}

export interface RemoteConnect {
  app: ConnectApp;
  url: string;
  /** Reads the TLS files again (SIGHUP); throws, keeping the old certificate, when they are unusable. */
  reloadTls?: () => void;
  /** A standalone node's sync state, now. */
  syncState?: () => SyncState;
  /**
   * Settles when the server is found deleted on the central service (a 401 to the stream, or
   * `server-gone`): the replica is wiped by then and every call answers 401. The caller logs
   * and exits. Never settles otherwise.
   */
  serverGone: Promise<string>;
  /** Stops the listener (requests in progress finish), the sync and the shipper, and closes the replica. */
  close(): Promise<void>;
}

const NEVER = new Promise<string>(() => undefined);

/** How long a start waits for the first sync before it listens anyway. */
export const STARTUP_SYNC_MS = 30_000;

/** Resolves true at the sync's next mark, false after `ms` or when the server turns out gone. */
function firstMark(client: SyncClient, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const done = (result: boolean) => {
      clearTimeout(timer);
      client.off('mark', onMark);
      client.off('gone', onGone);
      resolve(result);
    };
    const onMark = () => done(true);
    const onGone = () => done(false);
    const timer = setTimeout(() => done(false), ms);
    client.on('mark', onMark);
    client.on('gone', onGone);
  });
}

/** Gives up on a last shipment at shutdown after this long. */
const FLUSH_GRACE_MS = 3_000;

/**
 * `keyhold connect`: a Connect server in its own process.
 *
 * Forwarding (no `node`): every call goes to the central service over HTTP; the credentials are
 * checked with it before listening, so a wrong file or address fails at start.
 *
 * Standalone (`node`): opens the replica in the data directory (refusing a foreign one); if the
 * central service answers, checks the credentials as above and starts the sync; if it does not
 * answer but the replica holds a state, starts anyway, serving reads from the replica within
 * `--max-staleness` of its last sync, and keeps trying to connect; with neither, fails at start.
 */
export async function startRemoteConnect(options: RemoteConnectOptions): Promise<RemoteConnect> {
  // Before anything is asked of the central service: a bad certificate is the operator's to fix.
  const https = options.tls ? loadTls(options.tls) : undefined;
  const { node } = options;
  if (node) mkdirSync(node.dataDir, { recursive: true, mode: 0o700 });
  const opened = node
    ? await node.store.open({
        dataDir: node.dataDir,
        credentials: options.credentials,
        logger: options.logger,
      })
    : undefined;
  let sync: SyncClient | undefined;
  const central = httpCentral({
    central: options.central,
    serverSecret: options.credentials.serverSecret,
    ...(node
      ? { onRecords: (records: ReplicaRecord[]) => sync?.applyWriteRecords(records) ?? Promise.resolve() }
      : {}),
  });
  let reachable: boolean;
  try {
    reachable = await checkCredentials(options, central, opened?.replica);
  } catch (error) {
    await opened?.replica.close();
    throw error;
  }
  const logger = options.logger.child({ connectServer: options.credentials.serverId });
  if (!(node && opened)) {
    const app = buildConnectApp({
      central,
      logger,
      limits: options.limits,
      https,
      trustProxy: options.trustProxy,
    });
    await app.listen({ host: options.host, port: options.port });
    return {
      app,
      url: listeningUrl(app, options.host),
      ...(options.tls ? { reloadTls: () => reloadTls([app.server], options.tls as TlsFiles) } : {}),
      serverGone: NEVER,
      close: () => app.close(),
    };
  }

  const { replica, outbox } = opened;
  const client = new SyncClient({
    central: options.central,
    serverSecret: options.credentials.serverSecret,
    replica,
    logger: logger.child({ part: 'sync' }),
    ...(replica.position() ? { lastMarkAt: replica.lastMarkAt() } : {}),
  });
  sync = client;
  client.on('connected', () => logger.info('connected to the change stream of the central service'));
  const shipper = new AuditShipper({
    central: options.central,
    serverSecret: options.credentials.serverSecret,
    outbox,
    logger: logger.child({ part: 'audit-shipper' }),
  });
  const notifying: Outbox = {
    get id() {
      return outbox.id;
    },
    append: async (event) => {
      await outbox.append(event);
      shipper.notify();
    },
    pending: (limit) => outbox.pending(limit),
    acknowledge: (through) => outbox.acknowledge(through),
    size: () => outbox.size(),
  };
  const reads = node.store.reads({ replica, outbox: notifying, credentials: options.credentials, logger });
  const state = (): SyncState => {
    const status = client.status();
    return syncState(
      {
        hasReplica: replica.position() !== undefined,
        connected: status.connected,
        lastMarkAt: status.lastMarkAt,
        markAgeMs: client.markAge(),
      },
      { maxStalenessMs: node.maxStalenessMs },
      Date.now(),
    );
  };
  const gone = () => client.status().gone;
  const app = buildConnectApp({
    central: nodeCentral({ reads, central, state, gone }),
    logger,
    limits: options.limits,
    https,
    trustProxy: options.trustProxy,
    syncHealth: () =>
      gone()
        ? {
            state: 'NOT_SYNCED',
            serving: false,
            message:
              'this Connect server was deleted on the central service (or its credentials were replaced); its replica is wiped',
          }
        : state(),
  });
  const serverGone = new Promise<string>((resolve) => {
    client.once('gone', (reason) => {
      // The outbox went with the replica.
      void shipper.stop();
      resolve(reason);
    });
  });
  client.start();
  shipper.start();
  // With the central service there, listen once the replica is up to date (its first mark), so the
  // first requests are not refused for want of a replica; a slow first sync does not stop the start.
  if (reachable && !client.status().gone) {
    const synced = await firstMark(client, node.startupSyncMs ?? STARTUP_SYNC_MS);
    if (!synced) {
      logger.warn(
        { waitedMs: node.startupSyncMs ?? STARTUP_SYNC_MS, sync: state().state },
        'the first sync with the central service is taking long; listening anyway (reads answer 503 until the replica is in sync, or within --max-staleness of its last sync)',
      );
    }
  }
  try {
    await app.listen({ host: options.host, port: options.port });
  } catch (error) {
    await client.stop();
    await shipper.stop();
    await replica.close();
    throw error;
  }
  let closing: Promise<void> | undefined;
  const close = async () => {
    await app.close();
    await client.stop();
    await Promise.race([
      shipper.flush(),
      new Promise((resolve) => setTimeout(resolve, FLUSH_GRACE_MS).unref()),
    ]);
    await shipper.stop();
    await replica.close();
  };
  return {
    app,
    url: listeningUrl(app, options.host),
    ...(options.tls ? { reloadTls: () => reloadTls([app.server], options.tls as TlsFiles) } : {}),
    syncState: state,
    serverGone,
    close: () => {
      closing ??= close();
      return closing;
    },
  };
}

/**
 * Asks the central service who these credentials are. A refusal or a different server fails the
 * start; a central service that does not answer fails it too, unless the node has a replica to
 * serve from meanwhile.
 */
async function checkCredentials(
  options: RemoteConnectOptions,
  central: ReturnType<typeof httpCentral>,
  replica: Replica | undefined,
): Promise<boolean> {
  let me: Awaited<ReturnType<typeof central.whoami>>;
  try {
    me = await central.whoami();
  } catch (error) {
    const message = (error as Error).message;
    const unreachable = error instanceof AppError && error.code === 'central_unavailable';
    if (unreachable && replica?.position()) {
      options.logger.warn(
        { central: options.central, reason: message },
        'the central service does not answer: serving reads from the replica within --max-staleness of its last sync, and connecting again in the background',
      );
      return false;
    }
    const hint = untrustedCertificateHint(message);
    throw new CredentialsError(
      `the central service at ${options.central} refused or did not answer: ${message}${hint ? `; ${hint}` : ''}${
        unreachable && replica ? ' (the data directory holds no replica yet to serve from meanwhile)' : ''
      }`,
    );
  }
  if (me.serverId !== options.credentials.serverId) {
    throw new CredentialsError(
      `the central service knows these credentials as server ${me.serverId}, not ${options.credentials.serverId}`,
    );
  }
  return true;
}
