import type { IncomingMessage } from 'node:http';
import proxyAddr from '@fastify/proxy-addr';

/** Whether the hop at `address` (`hop` 0 is the socket's peer) is a trusted reverse proxy. */
export type ProxyTrust = (address: string, hop: number) => boolean;

/**
 * The trust predicate for `KEYHOLD_TRUST_PROXY`'s list (addresses, CIDR ranges, `loopback`…);
 * undefined for an empty list: trust none, and never read `X-Forwarded-For` at all.
 */
export function proxyTrust(list: readonly string[]): ProxyTrust | undefined {
  return list.length === 0 ? undefined : proxyAddr.compile([...list]);
}

/**
 * The address of the client behind a request: the standard walk of `X-Forwarded-For` from the
 * right, starting at the socket's peer, over hops that are trusted proxies, stopping at the first
 * one that is not. Entries left of that are whatever the client wrote and are never believed, so
 * a client cannot pick its own address by sending the header itself.
 *
 * One rule for every listener: the Fastify app gets the same predicate as its `trustProxy`
 * (Fastify runs this same proxy-addr walk for `request.ip`), and the plain node:http Connect
 * listeners call this function.
 */
export function clientAddress(request: IncomingMessage, trust: ProxyTrust | undefined): string | null {
  if (!trust) return request.socket.remoteAddress ?? null;
  return proxyAddr(request, trust) ?? null;
}
