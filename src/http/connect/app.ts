import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { CentralClient, ConnectCall } from '../../connect-server/central-client.js';
import { baseApp } from '../base-app.js';
import { bearerToken } from '../bearer.js';
import { activityRoutes } from './activity.js';
import { connectErrorHandling } from './errors.js';
import { fileRoutes } from './files.js';
import { itemRoutes } from './items.js';
import { registerMetrics } from './metrics.js';
import { probeRoutes } from './probes.js';
import { vaultRoutes } from './vaults.js';

/** The Connect API version whose wire format this server speaks; the Go SDK needs ≥ 1.3.0. */
export const CONNECT_API_VERSION = '1.8.1';

export interface ConnectAppOptions {
  central: CentralClient;
  logger: Logger;
  limits: { json: number; file: number; inlineFile: number };
  /** TLS certificate and key (OP_TLS_CERT_FILE / OP_TLS_KEY_FILE) to serve HTTPS. */
  https?: { cert: Buffer; key: Buffer };
}

export interface ConnectRouteContext {
  central: CentralClient;
  limits: ConnectAppOptions['limits'];
  /**
   * The call to forward to the central service. A missing token is forwarded as empty, not
   * refused here: the central service refuses it and records the DENY like any other.
   */
  call(request: FastifyRequest): ConnectCall;
}

/**
 * One Connect server's HTTP face (`/v1/…`, probes, metrics), on its own listener. It holds no
 * data and makes no authorization decision of its own: every call goes to the central service
 * through `central`, which verifies the token for this server and decides.
 */
export function buildConnectApp(options: ConnectAppOptions): FastifyInstance {
  const app = baseApp({ ...options, headers: { '1Password-Connect-Version': CONNECT_API_VERSION } });
  connectErrorHandling(app);
  registerMetrics(app);

  const context: ConnectRouteContext = {
    central: options.central,
    limits: options.limits,
    call(request) {
      return {
        token: bearerToken(request) ?? '',
        requestId: request.id,
        ip: request.ip,
        userAgent: request.headers['user-agent'] ?? null,
      };
    },
  };
  probeRoutes(app);
  vaultRoutes(app, context);
  itemRoutes(app, context);
  fileRoutes(app, context);
  activityRoutes(app, context);
  return app;
}
