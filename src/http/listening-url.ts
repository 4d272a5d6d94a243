import type { Server } from 'node:net';
import { Server as TlsServer } from 'node:tls';

/**
 * The URL a listening app answers on (the real port when 0 was asked for); `https` when the
 * listener serves TLS (node:https servers are node:tls servers).
 */
export function listeningUrl(app: { server: Server }, host: string): string {
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const scheme = app.server instanceof TlsServer ? 'https' : 'http';
  return `${scheme}://${host.includes(':') ? `[${host}]` : host}:${port}`;
}
