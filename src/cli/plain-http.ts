import { BlockList, isIPv4, isIPv6 } from 'node:net';

const loopback = new BlockList();
loopback.addSubnet('127.0.0.0', 8, 'ipv4');
loopback.addAddress('::1', 'ipv6');

/**
 * Whether a URL's host is this machine's loopback: `localhost`, 127.0.0.0/8, `[::1]` (and the
 * IPv4-mapped form of 127.0.0.0/8). Only there does plain HTTP never cross a network.
 */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.toLowerCase().replace(/^\[(.*)\]$/, '$1');
  if (host === 'localhost') return true;
  if (isIPv4(host)) return loopback.check(host, 'ipv4');
  if (isIPv6(host)) return loopback.check(host, 'ipv6');
  return false;
}

/** A URL whose traffic — bearer secrets, and every secret value answered — crosses a network in clear. */
export function isPlainHttpOverNetwork(url: URL): boolean {
  return url.protocol === 'http:' && !isLoopbackHost(url.hostname);
}
