import { describe, expect, it } from 'vitest';
import { centralUrl } from '../../src/cli/commands/connect.js';
import { isLoopbackHost, isPlainHttpOverNetwork } from '../../src/cli/plain-http.js';

describe('loopback hosts', () => {
  it.each([
    ['localhost', true],
    ['LOCALHOST', true],
    ['127.0.0.1', true],
    ['127.255.0.9', true],
    ['[::1]', true],
    ['[::ffff:7f00:1]', true],
    ['128.0.0.1', false],
    ['10.0.0.1', false],
    ['[::2]', false],
    ['[::ffff:a00:1]', false],
    ['localhost.example.com', false],
    ['127.0.0.1.nip.io', false],
    ['0.0.0.0', false],
  ])('%s → %s', (host, loopback) => {
    expect(isLoopbackHost(host)).toBe(loopback);
  });

  it('reads hosts as URL parsing leaves them (decimal and hex IPv4 forms included)', () => {
    expect(isPlainHttpOverNetwork(new URL('http://2130706433:8300'))).toBe(false);
    expect(isPlainHttpOverNetwork(new URL('http://0x7f.1/'))).toBe(false);
    expect(isPlainHttpOverNetwork(new URL('http://[0:0:0:0:0:0:0:1]/'))).toBe(false);
    expect(isPlainHttpOverNetwork(new URL('http://central.internal:8300'))).toBe(true);
    expect(isPlainHttpOverNetwork(new URL('https://central.internal:8300'))).toBe(false);
  });
});

describe('the central URL of keyhold connect', () => {
  it('takes https anywhere and http on loopback', () => {
    expect(centralUrl('https://central.internal:8300', false).href).toBe('https://central.internal:8300/');
    expect(centralUrl('http://127.0.0.1:8300', false).host).toBe('127.0.0.1:8300');
    expect(centralUrl('http://[::1]:8300', false).host).toBe('[::1]:8300');
    expect(centralUrl('http://localhost:8300', false).host).toBe('localhost:8300');
  });

  it('refuses plain http off loopback, saying why and what to do, unless --insecure-central', () => {
    expect(() => centralUrl('http://central.internal:8300/', false)).toThrowError(
      'refusing the central service at http://central.internal:8300: plain http to a host that is not loopback would send the server secret and the secrets it serves in clear text. Use https:// (serve the central service with KEYHOLD_TLS_CERT_FILE and KEYHOLD_TLS_KEY_FILE, or behind a TLS proxy), or pass --insecure-central if the network in between is protected otherwise',
    );
    expect(centralUrl('http://central.internal:8300', true).hostname).toBe('central.internal');
  });

  it('refuses what is not an http(s) URL', () => {
    expect(() => centralUrl('central:8300', false)).toThrowError(
      /must be https:\/\/ \(or http:\/\/ on loopback\)/,
    );
    expect(() => centralUrl('not a url', true)).toThrowError(
      'the central service URL "not a url" is not a URL',
    );
    expect(() => centralUrl('ftp://central/', true)).toThrowError(/must be https:\/\//);
  });
});
