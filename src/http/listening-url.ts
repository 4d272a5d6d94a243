import type { Server } from 'node:net';

/** The URL a listening app answers on (the real port when 0 was asked for). */
export function listeningUrl(app: { server: Pick<Server, 'address'> }, host: string): string {
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
}
