import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { errorBody, toAppError } from '../errors/format.js';
import type { Services } from '../services.js';
import { adminRoutes } from './admin/routes.js';
import { baseApp } from './base-app.js';
import type { ProxyTrust } from './client-address.js';
import { connectServerRpc } from './connect-server-rpc.js';
import { healthRoutes } from './health.js';
import { jwksRoutes } from './jwks.js';
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
}

/**
 * The central service's HTTP application: the shared base (`baseApp`), the admin API error
 * shape, and one plugin per API family.
 */
export function buildApp(options: AppOptions): FastifyInstance {
  const app = baseApp(options);

  app.setErrorHandler((error, request, reply) => {
    const appError = toAppError(error);
    if (appError.status >= 500) {
      request.log.error({ code: appError.code, err: appError.cause ?? error }, 'request failed');
    }
    reply.status(appError.status).send(errorBody(appError));
  });
  app.setNotFoundHandler((request, reply) => {
    reply.status(404).send({
      status: 404,
      code: 'not_found',
      message: `no route for ${request.method} ${request.url.split('?')[0]}`,
    });
  });

  app.register(healthRoutes);
  app.register(jwksRoutes(options.services));
  app.register(adminRoutes(options.services), { prefix: '/api/admin' });
  app.register(oauthEndpoints(options.services));
  app.register(vaultApi(options.services, options.limits), { prefix: '/api' });
  app.register(oauthPages(options.services));
  app.register(connectServerRpc(options.services, options.limits.file), { prefix: '/api/connect-server/v1' });
  return app;
}
