import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from 'fastify';
import type { Logger } from 'pino';
import { adminFormat } from '../errors/admin-format.js';
import { badUrl, noRoute } from '../errors/app-error.js';
import type { Formatter } from '../errors/wire.js';
import { registerBodyParsers } from './body-parsers.js';
import type { ProxyTrust } from './client-address.js';
import { answerErrors } from './error-handler.js';

export interface BaseAppOptions {
  logger: Logger;
  limits: { json: number; file: number };
  /** TLS certificate and key to serve HTTPS. */
  https?: { cert: Buffer; key: Buffer };
  /** Which peers' `X-Forwarded-For` is believed for `request.ip` (client-address.ts); none when unset. */
  trustProxy?: ProxyTrust | undefined;
  /** Headers of this listener's own, sent on every response after the shared ones. */
  headers?: Record<string, string>;
  /** The wire family of URLs the listener cannot route; the admin API's by default. */
  errorFormat?: Formatter;
}

/**
 * What every Keyhold listener shares: strict body parsing, a request id on every request and
 * response, `no-store` caching, and one request log line carrying method, path (never the query
 * string, which can hold item titles), status and time — never headers or bodies.
 */
export function baseApp(options: BaseAppOptions): FastifyInstance {
  const headers = { 'cache-control': 'no-store', 'x-content-type-options': 'nosniff', ...options.headers };
  const answer = answerErrors(options.errorFormat ?? adminFormat);
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
    // A URL the router cannot take (bad percent-encoding, a parameter over maxParamLength) is
    // answered before any hook runs; Fastify's own answer has another shape and quotes the whole
    // path. A parameter that long names nothing, as on a Connect listener: no route.
    frameworkErrors: (error, request, reply) => {
      reply.header('x-request-id', request.id);
      reply.headers(headers);
      const path = request.url.split('?', 1)[0] ?? request.url;
      const refusal = error.code === 'FST_ERR_BAD_URL' ? badUrl(path) : noRoute(request.method, path);
      answer(refusal, request, reply);
    },
  });
  registerBodyParsers(app, options.limits);
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
