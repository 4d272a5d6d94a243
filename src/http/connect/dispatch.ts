import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { noRoute } from '../../errors/app-error.js';
import { connectFormat } from '../../errors/connect-format.js';
import { failure } from '../../errors/failure.js';
import { clientAddress, type ProxyTrust } from '../client-address.js';
import { batchedEnds } from './batched-ends.js';
import { type ConnectReply, JSON_TYPE } from './exchange.js';
import type { ConnectMetrics } from './metrics.js';
import { readBody } from './read-body.js';
import type { ConnectRoutes } from './routes.js';

export interface DispatchOptions {
  routes: ConnectRoutes;
  metrics: ConnectMetrics;
  logger: Logger;
  limits: { json: number; file: number };
  /** Trusted reverse proxies; the socket's peer is the client when unset. */
  trustProxy?: ProxyTrust | undefined;
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
  const { routes, metrics, logger, limits, trustProxy } = options;
  // The request line's fields are fixed and none can hold a secret, so it skips the redaction
  // pass, which doubled its cost; errors still go through the redacting logger.
  const requestLog = logger.child({}, { redact: [] });
  const staticHeaders = Object.entries(options.headers).flat();

  const end = batchedEnds((error) => logger.error({ err: error }, 'response could not be sent'));

  /**
   * Writes the reply with one writeHead of a flat header list: node:http takes that as is, where
   * each setHeader would validate and store a header of its own first. The head is checked now
   * (a bad header is this request's 500) and goes out with the body, in a batch (batched-ends.ts).
   */
  const answer = (res: ServerResponse, id: string, reply: ConnectReply) => {
    const head = ['x-request-id', id, ...staticHeaders];
    if (reply.kind === 'empty') {
      res.writeHead(reply.status, head);
      return end(res);
    }
    if (reply.headers) for (const [name, value] of Object.entries(reply.headers)) head.push(name, value);
    if (reply.kind === 'bytes') {
      head.push('content-length', String(reply.content.length));
      res.writeHead(reply.status, head);
      return end(res, reply.content);
    }
    const text = JSON.stringify(reply.value);
    head.push('content-type', JSON_TYPE, 'content-length', String(Buffer.byteLength(text)));
    res.writeHead(reply.status, head);
    end(res, text);
  };

  const refusal = (error: unknown, id: string, path: string): ConnectReply => {
    const { status, body } = failure(error, connectFormat, (fields) =>
      logger.error({ reqId: id, path, ...fields }, 'request failed'),
    );
    return { kind: 'json', status, value: body };
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
      if (!match) throw noRoute(method, url);
      route = match.template;
      reply = await match.handler({
        id,
        method,
        url,
        headers: req.headers,
        params: match.params,
        query: match.query,
        body: await readBody(req, match.body, limits),
        ip: clientAddress(req, trustProxy),
      });
    } catch (error) {
      reply = refusal(error, id, path);
    }
    try {
      answer(res, id, reply);
    } catch (error) {
      // A reply that cannot be written (a bug): a 500 if nothing has gone out yet.
      reply = refusal(error, id, path);
      if (res.headersSent) res.destroy();
      else answer(res, id, reply);
    }
    const ms = performance.now() - started;
    requestLog.info({ reqId: id, method, path, status: reply.status, ms: Math.round(ms) }, 'request');
    metrics.record(method, route, reply.status, ms / 1000);
  };

  /** Settles (never rejects) once the request is handled, whether or not its client is still there. */
  return (req: IncomingMessage, res: ServerResponse): Promise<void> =>
    handle(req, res).catch((error: unknown) => {
      logger.error({ err: error }, 'request handling failed');
      res.destroy();
    });
}
