import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { notFound } from '../../errors/app-error.js';
import { toAppError } from '../../errors/format.js';
import type { ConnectReply } from './exchange.js';
import type { ConnectMetrics } from './metrics.js';
import { readBody } from './read-body.js';
import type { ConnectRoutes } from './routes.js';

export interface DispatchOptions {
  routes: ConnectRoutes;
  metrics: ConnectMetrics;
  logger: Logger;
  limits: { json: number; file: number };
  /** Sent on every response, after the request id. */
  headers: Record<string, string>;
}

/**
 * The Connect listener's request handler: route, read the body the route takes, run it, and
 * answer — every error in Connect's `{status, message}` shape (the official SDKs reject with that
 * body as is) — then one log line (method, path without the query string, which can hold item
 * titles; status; time; never headers or bodies) and the metrics.
 *
 * Plain node:http rather than a framework: this is the path every secret read takes, and
 * Fastify's per-request machinery cost more CPU than the whole read (bench/connect-floor.mjs).
 */
export function connectDispatcher(options: DispatchOptions) {
  const { routes, metrics, logger, limits } = options;
  const staticHeaders = Object.entries(options.headers);

  const answer = (res: ServerResponse, id: string, reply: ConnectReply) => {
    res.statusCode = reply.status;
    res.setHeader('x-request-id', id);
    for (const [name, value] of staticHeaders) res.setHeader(name, value);
    if (reply.kind === 'empty') return res.end();
    if (reply.kind === 'bytes') {
      for (const [name, value] of Object.entries(reply.headers)) res.setHeader(name, value);
      res.setHeader('content-length', reply.content.length);
      return res.end(reply.content);
    }
    if (reply.headers) for (const [name, value] of Object.entries(reply.headers)) res.setHeader(name, value);
    const text = JSON.stringify(reply.value);
    res.setHeader('content-type', 'application/json; charset=utf-8');
    res.setHeader('content-length', Buffer.byteLength(text));
    res.end(text);
  };

  const failure = (error: unknown, id: string, path: string): ConnectReply => {
    const appError = toAppError(error);
    if (appError.status >= 500)
      logger.error({ reqId: id, path, code: appError.code, err: appError.cause ?? error }, 'request failed');
    const message = appError.expose ? appError.message : 'Internal server error';
    return { kind: 'json', status: appError.status, value: { status: appError.status, message } };
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const started = performance.now();
    const id = randomUUID();
    const method = req.method ?? 'GET';
    const url = req.url ?? '/';
    const path = url.split('?', 1)[0] ?? url;
    let route = 'unmatched';
    let reply: ConnectReply;
    try {
      const match = routes.find(method, url);
      if (!match) throw notFound(`no route for ${method} ${path}`);
      route = match.template;
      reply = await match.handler({
        id,
        method,
        url,
        headers: req.headers,
        params: match.params,
        query: match.query,
        body: await readBody(req, match.body, limits),
        ip: req.socket.remoteAddress ?? null,
      });
    } catch (error) {
      reply = failure(error, id, path);
    }
    try {
      answer(res, id, reply);
    } catch (error) {
      // A reply that cannot be written (a bug): a 500 if nothing has gone out yet.
      reply = failure(error, id, path);
      if (res.headersSent) res.destroy();
      else {
        for (const name of res.getHeaderNames()) res.removeHeader(name);
        answer(res, id, reply);
      }
    }
    const ms = performance.now() - started;
    logger.info({ reqId: id, method, path, status: reply.status, ms: Math.round(ms) }, 'request');
    metrics.record(method, route, reply.status, ms / 1000);
  };

  return (req: IncomingMessage, res: ServerResponse): void => {
    handle(req, res).catch((error: unknown) => {
      logger.error({ err: error }, 'request handling failed');
      res.destroy();
    });
  };
}
