import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from 'fastify';
import type { Logger } from 'pino';
import { registerBodyParsers } from './body-parsers.js';
import type { ProxyTrust } from './client-address.js';

export interface BaseAppOptions {
  logger: Logger;
  limits: { json: number; file: number };
  /** TLS certificate and key to serve HTTPS. */
  https?: { cert: Buffer; key: Buffer };
  /** Which peers' `X-Forwarded-For` is believed for `request.ip` (client-address.ts); none when unset. */
  trustProxy?: ProxyTrust | undefined;
  /** Headers of this listener's own, sent on every response after the shared ones. */
  headers?: Record<string, string>;
}

/**
 * What every Keyhold listener shares: strict body parsing, a request id on every request and
 * response, `no-store` caching, and one request log line carrying method, path (never the query
 * string, which can hold item titles), status and time — never headers or bodies.
 */
export function baseApp(options: BaseAppOptions): FastifyInstance {
  const app = Fastify({
    ...(options.https ? { https: options.https } : {}),
    ...(options.trustProxy ? { trustProxy: options.trustProxy } : {}),
    loggerInstance: options.logger as FastifyBaseLogger,
    genReqId: () => randomUUID(),
    bodyLimit: options.limits.json,
    // Connect clients send trailing slashes; `/x/` and `/x` are the same route.
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 200 },
    // Fastify's own request lines would log the full URL.
    logController: new LogController({ disableRequestLogging: true }),
  });
  registerBodyParsers(app, options.limits);
  const headers = { 'cache-control': 'no-store', 'x-content-type-options': 'nosniff', ...options.headers };
  // Callback-style hooks: they run on every request, and an async hook costs a promise each.
  app.addHook('onRequest', (request, reply, done) => {
    reply.header('x-request-id', request.id);
    reply.headers(headers);
    done();
  });
  app.addHook('onResponse', (request, reply, done) => {
    request.log.info(
      {
        method: request.method,
        path: request.url.split('?')[0],
        status: reply.statusCode,
        ms: Math.round(reply.elapsedTime),
      },
      'request',
    );
    done();
  });
  return app;
}
