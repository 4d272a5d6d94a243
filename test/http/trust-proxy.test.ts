import type { IncomingMessage, ServerResponse } from 'node:http';
import { inject } from 'light-my-request';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { inProcessCentral } from '../../src/connect-server/central/in-process-client.js';
import { baseApp } from '../../src/http/base-app.js';
import { clientAddress, proxyTrust } from '../../src/http/client-address.js';
import { buildConnectApp, type ConnectApp } from '../../src/http/connect/app.js';
import { listeningUrl } from '../../src/http/listening-url.js';
import type { AuditEvent } from '../../src/storage/ports.js';
import { client, startTestApp, type TestApp } from '../helpers/app.js';
import { adminSetup } from '../helpers/connect-app.js';
import { Browser, hiddenField, type OAuthFixture, startOAuthFixture } from '../helpers/oauth.js';

/**
 * KEYHOLD_TRUST_PROXY: X-Forwarded-For is believed only from trusted proxies, walked from the
 * right, so audit events and the login throttle see the client behind a reverse proxy, and a
 * client that writes the header itself changes nothing.
 */

const silent = pino({ level: 'silent' });

describe('one rule for the Fastify app and the Connect listeners', () => {
  // [trust list, socket peer, X-Forwarded-For, the client address]
  const table: [string, string, string | undefined, string][] = [
    ['', '203.0.113.5', '198.51.100.1', '203.0.113.5'],
    ['10.0.0.0/8', '203.0.113.5', '198.51.100.1', '203.0.113.5'],
    ['10.0.0.0/8', '10.1.2.3', undefined, '10.1.2.3'],
    ['10.0.0.0/8', '10.1.2.3', '198.51.100.1', '198.51.100.1'],
    // The leftmost entries are the client's own words: never believed past an untrusted hop.
    ['10.0.0.0/8', '10.1.2.3', '6.6.6.6, 198.51.100.1', '198.51.100.1'],
    ['10.0.0.0/8', '10.1.2.3', '6.6.6.6, 198.51.100.1, 10.9.9.9', '198.51.100.1'],
    // A client claiming to be a trusted proxy is still where the walk stops.
    ['10.0.0.0/8', '10.1.2.3', '198.51.100.1, 10.0.0.7, 203.0.113.9', '203.0.113.9'],
    ['10.0.0.0/8', '10.1.2.3', '10.0.0.8', '10.0.0.8'],
    ['fd00::/8', 'fd00::1', '2001:db8::7', '2001:db8::7'],
    ['fd00::/8', '2001:db8::1', '2001:db8::7', '2001:db8::1'],
    ['loopback', '::ffff:127.0.0.1', '198.51.100.1', '198.51.100.1'],
    ['127.0.0.1, ::1', '::1', '198.51.100.1', '198.51.100.1'],
  ];

  it.each(table)('trusting [%s], from %s with X-Forwarded-For %s: %s', async (list, peer, xff, expected) => {
    const trust = proxyTrust(loadConfig({ KEYHOLD_TRUST_PROXY: list }).trustProxy);
    const app = baseApp({ logger: silent, limits: { json: 1024, file: 1024 }, trustProxy: trust });
    app.get('/ip', async (request) => ({ ip: request.ip }));
    await app.ready();
    const headers = xff === undefined ? {} : { 'x-forwarded-for': xff };
    const fastify = await app.inject({ method: 'GET', url: '/ip', remoteAddress: peer, headers });
    const raw = await inject(
      (req: IncomingMessage, res: ServerResponse) =>
        res.end(JSON.stringify({ ip: clientAddress(req, trust) })),
      { method: 'GET', url: '/ip', remoteAddress: peer, headers },
    );
    expect(fastify.json()).toEqual({ ip: expected });
    expect(raw.json()).toEqual({ ip: expected });
    await app.close();
  });

  it('refuses a list entry that is not an address or a range, naming the setting', () => {
    for (const bad of ['10.0.0.0/33', 'proxy.internal', '1.2.3.4/0', '::1/129']) {
      expect(() => loadConfig({ KEYHOLD_TRUST_PROXY: `127.0.0.1,${bad}` })).toThrowError(
        `KEYHOLD_TRUST_PROXY is invalid (got "127.0.0.1,${bad}"): must be a comma-separated list of IP addresses and CIDR ranges (IPv4 or IPv6) or loopback, linklocal, uniquelocal`,
      );
    }
    expect(loadConfig({}).trustProxy).toEqual([]);
    expect(loadConfig({ KEYHOLD_TRUST_PROXY: ' 10.0.0.0/8 , fd00::/8,loopback ' }).trustProxy).toEqual([
      '10.0.0.0/8',
      'fd00::/8',
      'loopback',
    ]);
  });
});

/** The central service on a real socket, reached from 127.0.0.1 as through a proxy there. */
describe.each([
  ['trusting the loopback proxy', '127.0.0.1,::1', true],
  ['trusting no proxy (the default)', '', false],
  ['trusting another proxy', '10.0.0.0/8', false],
])('the central service %s', (_name, list, trusted) => {
  let f: OAuthFixture;
  beforeAll(async () => {
    f = await startOAuthFixture(list === '' ? {} : { KEYHOLD_TRUST_PROXY: list });
  }, 60_000);
  afterAll(async () => {
    await f?.close();
  });

  const socketAddress = /^(::ffff:)?127\.0\.0\.1$/;
  const expectedIp = (forwarded: string) => (trusted ? forwarded : expect.stringMatching(socketAddress));

  const audit = async () =>
    (await (
      await fetch(`${f.url}/api/admin/audit?limit=5`, {
        headers: { authorization: `Bearer ${f.adminToken}` },
      })
    ).json()) as AuditEvent[];

  it('records the forwarded client in the audit event only when the peer is trusted', async () => {
    const created = await fetch(`${f.url}/api/admin/vaults`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${f.adminToken}`,
        'content-type': 'application/json',
        'x-forwarded-for': '6.6.6.6, 198.51.100.10',
      },
      body: JSON.stringify({ name: 'proxied' }),
    });
    expect(created.status).toBe(201);
    const { id } = (await created.json()) as { id: string };
    const event = (await audit()).find((e) => e.vaultId === id || e.resourceId === id);
    expect(event?.ip).toEqual(expectedIp('198.51.100.10'));
    expect(event?.ip).not.toBe('6.6.6.6');
  });

  it('keys the login throttle, and the sign-in audit, by that same address', async () => {
    const email = `throttled-${trusted}-${list.length}@example.com`;
    const password = 'Right-Pass-k7Qw9zX2-proxy';
    const user = await f.admin<{ id: string }>('POST', '/users', { email, password });
    const signIn = async (from: string, secret: string) => {
      const browser = new Browser();
      const headers = { 'x-forwarded-for': from };
      const loginUrl = `${f.issuer}/login`;
      const page = await browser.fetch(loginUrl, { headers });
      const csrf = hiddenField(await page.text(), 'csrf');
      const res = await browser.fetch(loginUrl, { form: { csrf, email, password: secret }, headers });
      await res.text();
      return res.status;
    };
    for (let n = 1; n <= 5; n++) expect(await signIn('198.51.100.20', `Wrong-Pass-${n}-aa`)).toBe(401);
    expect(await signIn('198.51.100.20', password)).toBe(429);
    // Another client behind the same proxy: its own key when the proxy is believed; the same
    // socket address, hence the same key, when it is not.
    expect(await signIn('198.51.100.21', password)).toBe(trusted ? 303 : 429);
    const denied = (await audit()).find((e) => e.actorId === user.id && e.result === 'DENY');
    expect(denied?.ip).toEqual(expectedIp('198.51.100.20'));
    // An IPv6 client that takes a fresh address of its /64 for every attempt is one client.
    for (let n = 1; n <= 5; n++) {
      expect(await signIn(`2001:db8:7:8::${n.toString(16)}`, `Wrong-Pass-v6-${n}-aa`)).toBe(
        trusted ? 401 : 429,
      );
    }
    expect(await signIn('2001:db8:7:8:aaaa:bbbb:cccc:dddd', password)).toBe(429);
  }, 60_000);
});

describe('a Connect listener behind a trusted proxy', () => {
  let t: TestApp;
  let app: ConnectApp;
  let base: string;
  let vault: string;
  let item: string;
  let token: string;
  beforeAll(async () => {
    t = await startTestApp();
    const setup = adminSetup(t);
    vault = (await setup.vault('v')).id;
    item = (await setup.item(vault, { title: 'db', fields: [{ purpose: 'PASSWORD', value: 'hunter2' }] })).id;
    const server = (await setup.server([vault])).id;
    token = (await setup.token(server, [{ vaultId: vault, permissions: ['read'] }])).token;
    app = buildConnectApp({
      central: inProcessCentral(t.services, server),
      logger: silent,
      limits: {
        json: t.config.bodyLimit,
        file: t.config.maxFileSize,
        inlineFile: t.config.maxInlineFileSize,
      },
      trustProxy: proxyTrust(['loopback']),
    });
    await app.listen({ host: '127.0.0.1', port: 0 });
    base = listeningUrl(app, '127.0.0.1');
  });
  afterAll(async () => {
    await app.close();
    await t.close();
  });

  it('audits a read, and a refusal, with the forwarded client, never a spoofed leftmost entry', async () => {
    const read = await fetch(`${base}/v1/vaults/${vault}/items/${item}`, {
      headers: { authorization: `Bearer ${token}`, 'x-forwarded-for': '6.6.6.6, 2001:db8::42' },
    });
    expect(read.status).toBe(200);
    const refused = await fetch(`${base}/v1/vaults`, {
      headers: { authorization: 'Bearer nope', 'x-forwarded-for': '198.51.100.30' },
    });
    expect(refused.status).toBe(401);
    const events = (await client(t.app, t.token).get('/audit?limit=10')).json() as AuditEvent[];
    expect(events.find((e) => e.itemId === item && e.result === 'SUCCESS')?.ip).toBe('2001:db8::42');
    expect(events.find((e) => e.result === 'DENY')?.ip).toBe('198.51.100.30');
    expect(events.map((e) => e.ip)).not.toContain('6.6.6.6');
  });
});
