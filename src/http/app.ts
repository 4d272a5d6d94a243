import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from 'fastify';
import type { Logger } from 'pino';
import { errorBody, toAppError } from '../errors/format.js';
import type { Services } from '../services.js';
import { adminRoutes } from './admin/routes.js';
import { registerBodyParsers } from './body-parsers.js';
import { connectServerRpc } from './connect-server-rpc.js';
import { healthRoutes } from './health.js';
import { jwksRoutes } from './jwks.js';

export interface AppOptions {
  services: Services;
  logger: Logger;
  limits: { json: number; file: number };
}

/**
 * The central service's HTTP application. The only place Fastify is configured; routes live in
 * one plugin per API family. Request logs carry method, path (never the query string, which can
 * hold item titles), status and timing — never headers or bodies.
 */
export function buildApp(options: AppOptions): FastifyInstance {
  const app = Fastify({
    loggerInstance: options.logger as FastifyBaseLogger,
    genReqId: () => randomUUID(),
    bodyLimit: options.limits.json,
    // Connect clients send trailing slashes; `/x/` and `/x` are the same route.
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 200 },
    // Fastify's own request lines would log the full URL (query strings can hold item titles).
    logController: new LogController({ disableRequestLogging: true }),
  });
  registerBodyParsers(app, options.limits);

  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
    reply.header('cache-control', 'no-store');
    reply.header('x-content-type-options', 'nosniff');
  });
  app.addHook('onResponse', async (request, reply) => {
    request.log.info(
      {
        method: request.method,
        path: request.url.split('?')[0],
        status: reply.statusCode,
        ms: Math.round(reply.elapsedTime),
      },
      'request',
    );
  });

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
  app.register(connectServerRpc(options.services, options.limits.file), { prefix: '/api/connect-server/v1' });
  return app;
}
