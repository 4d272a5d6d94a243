import { createServer as createHttpServer, type RequestListener, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { Logger } from 'pino';
import type { CentralClient } from '../../connect-server/central/central-client.js';
import type { ProxyTrust } from '../client-address.js';
import { activityRoutes } from './activity.js';
import { connectDispatcher } from './dispatch.js';
import { fileRoutes } from './files.js';
import { itemRoutes } from './items.js';
import { connectMetrics } from './metrics.js';
import { probeRoutes, type SyncHealth } from './probes.js';
import { ConnectRoutes } from './routes.js';
import { vaultRoutes } from './vaults.js';

/** The Connect API version whose wire format this server speaks; the Go SDK needs ≥ 1.3.0. */
export const CONNECT_API_VERSION = '1.8.1';

/** How long close() lets requests in progress finish before it drops their connections. */
const CLOSE_GRACE_MS = 5_000;
/** How often close() ends the connections that have become idle since it began. */
const CLOSE_SWEEP_MS = 50;

export interface ConnectAppOptions {
  central: CentralClient;
  logger: Logger;
  limits: { json: number; file: number; inlineFile: number };
  /** TLS certificate and key (OP_TLS_CERT_FILE / OP_TLS_KEY_FILE) to serve HTTPS. */
  https?: { cert: Buffer; key: Buffer } | undefined;
  /** Trusted reverse proxies (KEYHOLD_TRUST_PROXY): who may say, in X-Forwarded-For, who the client is. */
  trustProxy?: ProxyTrust | undefined;
  /** A standalone node's sync state, reported by `/health` (else the central service is the dependency). */
  syncHealth?: (() => SyncHealth) | undefined;
}

export interface ConnectRouteContext {
  central: CentralClient;
  limits: ConnectAppOptions['limits'];
}

/** One Connect server's listener: its request handler, and the server that runs it. */
export interface ConnectApp {
  /** The node:http request listener (what the server runs; tests inject requests into it). */
  readonly handle: RequestListener;
  readonly server: Server;
  listen(options: { host: string; port: number }): Promise<void>;
  /** Stops accepting, lets requests in progress finish (up to a grace period), then closes. */
  close(): Promise<void>;
}

/**
 * One Connect server's HTTP face (`/v1/…`, probes, metrics), on its own listener. It holds no
 * data and makes no authorization decision of its own: every call goes to the central service
 * through `central`, which verifies the token for this server and decides.
 */
export function buildConnectApp(options: ConnectAppOptions): ConnectApp {
  const routes = new ConnectRoutes();
  const context: ConnectRouteContext = { central: options.central, limits: options.limits };
  const metrics = connectMetrics(routes);
  probeRoutes(routes, options.syncHealth);
  vaultRoutes(routes, context);
  itemRoutes(routes, context);
  fileRoutes(routes, context);
  activityRoutes(routes, context);

  const dispatch = connectDispatcher({
    routes,
    metrics,
    logger: options.logger,
    limits: options.limits,
    trustProxy: options.trustProxy,
    headers: {
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
      '1Password-Connect-Version': CONNECT_API_VERSION,
    },
  });
  let closing = false;
  // Requests being handled. A client that gives up on its request (wrk at the end of its run)
  // closes the connection, and the server then counts it gone, while the handler still waits on
  // the storage: close() waits for these too, so the storage is never closed under a write.
  let handling = 0;
  let drained: (() => void) | undefined;
  // Once close() has begun, every answer ends its connection: a client keeping its connection
  // alive would otherwise go on sending requests here until the grace period cut them off
  // mid-request, with the storage about to close under them.
  const handle: RequestListener = (request, response) => {
    if (closing) response.setHeader('connection', 'close');
    handling++;
    void dispatch(request, response).then(() => {
      handling--;
      if (handling === 0) drained?.();
    });
  };
  const server = options.https ? createHttpsServer(options.https, handle) : createHttpServer(handle);
  return {
    handle,
    server,
    listen: ({ host, port }) =>
      new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          server.off('error', reject);
          resolve();
        });
      }),
    close: () =>
      new Promise((resolve) => {
        if (!server.listening) return resolve();
        closing = true;
        let graceOver = false;
        const force = setTimeout(() => {
          graceOver = true;
          server.closeAllConnections();
          drained?.();
        }, CLOSE_GRACE_MS).unref();
        // A connection whose request was in progress at close() becomes idle once answered.
        const sweep = setInterval(() => server.closeIdleConnections(), CLOSE_SWEEP_MS).unref();
        server.close(() => {
          clearInterval(sweep);
          const done = () => {
            clearTimeout(force);
            resolve();
          };
          // Handlers whose clients left still finish (within the grace period).
          if (handling === 0 || graceOver) done();
          else drained = done;
        });
        server.closeIdleConnections();
      }),
  };
}
