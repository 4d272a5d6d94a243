import { createHash, timingSafeEqual } from 'node:crypto';
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import type { TlsCredentials } from '../tls.js';

export interface MetricsListenerOptions {
  registry: Registry;
  host: string;
  port: number;
  /** When set, every scrape must send `Authorization: Bearer <token>`. */
  token?: string | undefined;
  /** The central service's certificate: a token is never sent in clear where the service uses TLS. */
  https?: TlsCredentials | undefined;
}

export interface MetricsListener {
  readonly server: Server;
  readonly url: string;
  close(): Promise<void>;
}

const HEADERS = { 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' };

/**
 * `GET /metrics` on a listener of its own (KEYHOLD_METRICS_LISTEN), apart from the service's: a
 * reverse proxy in front of the service never forwards to it, and it can stay on loopback, where
 * only this host's scraper reaches it. Anywhere else it needs a token (config/load.ts refuses to
 * start without one). Nothing else is served: every other path is 404, every other method 405.
 */
export async function listenMetrics(options: MetricsListenerOptions): Promise<MetricsListener> {
  const expected = options.token === undefined ? undefined : digest(options.token);
  const handle = (request: IncomingMessage, response: ServerResponse): void => {
    const path = (request.url ?? '/').split('?', 1)[0];
    if (path !== '/metrics') {
      answer(response, 404, 'not found: metrics are at /metrics\n');
    } else if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.setHeader('allow', 'GET, HEAD');
      answer(response, 405, 'method not allowed: GET /metrics\n');
    } else if (expected && !bearerMatches(request.headers.authorization, expected)) {
      response.setHeader('www-authenticate', 'Bearer realm="keyhold-metrics"');
      answer(response, 401, 'a bearer token is required (KEYHOLD_METRICS_TOKEN)\n');
    } else {
      options.registry.metrics().then(
        (text) => {
          response.writeHead(200, { ...HEADERS, 'content-type': options.registry.contentType });
          response.end(request.method === 'HEAD' ? undefined : text);
        },
        () => answer(response, 500, 'metrics could not be collected\n'),
      );
    }
  };
  const server = options.https ? createHttpsServer(options.https, handle) : createHttpServer(handle);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { address, port } = server.address() as AddressInfo;
  const host = address.includes(':') ? `[${address}]` : address;
  return {
    server,
    url: `${options.https ? 'https' : 'http'}://${host}:${port}/metrics`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function answer(response: ServerResponse, status: number, text: string): void {
  response.writeHead(status, { ...HEADERS, 'content-type': 'text/plain; charset=utf-8' });
  response.end(text);
}

const digest = (token: string): Buffer => createHash('sha256').update(token).digest();

/** Compared as digests, in constant time: how long the check takes says nothing of the token. */
function bearerMatches(header: string | undefined, expected: Buffer): boolean {
  const match = /^Bearer ([^\s]+)$/i.exec(header ?? '');
  return match?.[1] !== undefined && timingSafeEqual(digest(match[1]), expected);
}
