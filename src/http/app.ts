import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { adminFormat } from '../errors/admin-format.js';
import type { Services } from '../services.js';
import { adminRoutes } from './admin/routes.js';
import { baseApp } from './base-app.js';
import type { ProxyTrust } from './client-address.js';
import { connectServerReplica } from './connect-server-replica.js';
import { connectServerRpc } from './connect-server-rpc.js';
import { consoleRoutes } from './console/routes.js';
import { answerErrors, answerNotFound } from './error-handler.js';
import { healthRoutes } from './health.js';
import { jwksRoutes } from './jwks.js';
import type { CentralMetrics } from './metrics/central-metrics.js';
import { oauthEndpoints } from './oauth/endpoints.js';
import { oauthPages } from './oauth/pages/routes.js';
import { vaultApi } from './vault-api.js';

export interface AppOptions {
  services: Services;
  logger: Logger;
  limits: { json: number; file: number; inlineFile: number };
  /** Certificate and key to serve HTTPS (KEYHOLD_TLS_CERT_FILE / KEYHOLD_TLS_KEY_FILE). */
  https?: { cert: Buffer; key: Buffer } | undefined;
  /** Trusted reverse proxies (KEYHOLD_TRUST_PROXY); none when unset. */
  trustProxy?: ProxyTrust | undefined;
  /** The built web console (dist/console by default, written by `npm run build`). */
  consoleDir?: string | undefined;
  /** Counts every request when metrics are served (KEYHOLD_METRICS_LISTEN). */
  metrics?: CentralMetrics | undefined;
}

/**
 * The central service's HTTP application: the shared base (`baseApp`), the admin API error
 * shape (each plugin of another wire family sets its own), and one plugin per API family.
 */
export function buildApp(options: AppOptions): FastifyInstance {
  const app = baseApp(options);
  // Before the plugins: their routes inherit the hooks.
  options.metrics?.instrument(app);

  app.setErrorHandler(answerErrors(adminFormat));
  // Every unknown route, `/api/v1/…` included, answers the documented `{status, code, message}`.
  app.setNotFoundHandler(answerNotFound(adminFormat));

  app.register(healthRoutes(options.services.storage));
  app.register(jwksRoutes(options.services));
  app.register(adminRoutes(options.services), { prefix: '/api/admin' });
  app.register(oauthEndpoints(options.services));
  app.register(vaultApi(options.services, options.limits), { prefix: '/api' });
  app.register(oauthPages(options.services));
  app.register(consoleRoutes(options.consoleDir));
  app.register(connectServerRpc(options.services, options.limits.file), { prefix: '/api/connect-server/v1' });
  app.register(connectServerReplica(options.services), { prefix: '/api/connect-server/v1' });
  // Open replica streams never end on their own: end them, or closing would wait on them.
  app.addHook('preClose', async () => options.services.replicaStreams.close());
  return app;
}
