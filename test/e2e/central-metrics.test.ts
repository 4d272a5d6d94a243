import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { type OAuthFixture, startOAuthFixture } from '../helpers/oauth.js';

/**
 * The central service's Prometheus metrics on their own listener (KEYHOLD_METRICS_LISTEN), over
 * real sockets: what they count after real admin, sign-in, token and secret-read traffic, and who
 * may read them.
 */
const TOKEN = 'metrics-token-0123456789-abcdefghijklmnop';

let f: OAuthFixture;
let metricsUrl: string;

beforeAll(async () => {
  f = await startOAuthFixture({ KEYHOLD_METRICS_LISTEN: '127.0.0.1:0', KEYHOLD_METRICS_TOKEN: TOKEN });
  metricsUrl = f.service.metricsUrl ?? '';
}, 60_000);

afterAll(async () => {
  await f?.close();
});

async function scrape(): Promise<string> {
  const response = await fetch(metricsUrl, { headers: { authorization: `Bearer ${TOKEN}` } });
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return response.text();
}

/** The value of one sample: `name{labels} value`, its labels given in any order. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    const match = /^([a-z_:]+)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const found = Object.fromEntries(
      [...(match[2] ?? '').matchAll(/([a-z_]+)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1], m[2]]),
    );
    if (Object.entries(labels).every(([k, v]) => found[k] === v)) return Number(match[3]);
  }
  return undefined;
}

const form = (fields: Record<string, string>) => ({
  method: 'POST',
  headers: { 'content-type': 'application/x-www-form-urlencoded' },
  body: new URLSearchParams(fields).toString(),
});

const signIn = (password: string) =>
  fetch(`${f.url}/api/admin/session`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: f.ownerEmail, password }),
  });

describe('central metrics', () => {
  it('serves them on their own listener only: none on the service, a token required, nothing else answered', async () => {
    expect(metricsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    expect((await fetch(`${f.url}/metrics`)).status).toBe(404);
    const anonymous = await fetch(metricsUrl);
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toBe('Bearer realm="keyhold-metrics"');
    expect(await anonymous.text()).not.toContain('keyhold_');
    const wrong = await fetch(metricsUrl, { headers: { authorization: `Bearer ${TOKEN}x` } });
    expect(wrong.status).toBe(401);
    const other = await fetch(new URL('/api/admin/vaults', metricsUrl), {
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    expect(other.status).toBe(404);
    const post = await fetch(metricsUrl, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}` } });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
  });

  it('counts admin API requests by route template, never by concrete id', async () => {
    const before = await scrape();
    const vault = await f.admin<{ id: string }>('POST', '/vaults', { name: 'Metrics' });
    await f.admin('GET', `/vaults/${vault.id}`);
    const missing = await fetch(`${f.url}/api/admin/vaults/${'0'.repeat(26)}`, {
      headers: { authorization: `Bearer ${f.adminToken}` },
    });
    expect(missing.status).toBe(404);
    await fetch(`${f.url}/no/such/${vault.id}`);
    const after = await scrape();
    const got = (text: string, status: string) =>
      sample(text, 'keyhold_http_requests_total', {
        method: 'GET',
        route: '/api/admin/vaults/:vaultId',
        status,
      }) ?? 0;
    expect(got(after, '200') - got(before, '200')).toBe(1);
    expect(got(after, '404') - got(before, '404')).toBe(1);
    expect(after).not.toContain(vault.id);
    expect(
      sample(after, 'keyhold_http_requests_total', { route: 'unmatched', status: '404' }),
    ).toBeGreaterThan(0);
    expect(
      sample(after, 'keyhold_http_request_duration_seconds_count', {
        method: 'POST',
        route: '/api/admin/vaults',
      }),
    ).toBeGreaterThan(0);
  });

  it('counts token requests by grant type and error code', async () => {
    await f.admin('POST', '/resource-servers', {
      identifier: 'https://reports.example.com',
      name: 'Reports',
      scopes: [{ name: 'reports:read', description: 'Read reports' }],
    });
    const client = await f.admin<{ clientId: string; clientSecret: string }>('POST', '/clients', {
      name: 'metrics job',
      redirectUris: [],
      scopes: ['reports:read'],
      grantTypes: ['client_credentials'],
    });
    const token = `${f.issuer}/token`;
    const basic = (secret: string) =>
      `Basic ${Buffer.from(`${encodeURIComponent(client.clientId)}:${encodeURIComponent(secret)}`).toString('base64')}`;
    const call = (secret: string, grant: string) => {
      const init = form({ grant_type: grant, scope: 'reports:read' });
      return fetch(token, { ...init, headers: { ...init.headers, authorization: basic(secret) } });
    };
    const before = await scrape();
    expect((await call(client.clientSecret, 'client_credentials')).status).toBe(200);
    expect((await call(client.clientSecret, 'client_credentials')).status).toBe(200);
    expect((await call('wrong', 'client_credentials')).status).toBe(401);
    expect((await call(client.clientSecret, 'made-up-grant')).status).toBe(400);
    const after = await scrape();
    const delta = (labels: Record<string, string>) =>
      (sample(after, 'keyhold_oauth_token_requests_total', labels) ?? 0) -
      (sample(before, 'keyhold_oauth_token_requests_total', labels) ?? 0);
    expect(delta({ grant_type: 'client_credentials', error: 'none' })).toBe(2);
    expect(delta({ grant_type: 'client_credentials', error: 'invalid_client' })).toBe(1);
    // What a client sends as a grant type never becomes a label of its own.
    expect(delta({ grant_type: 'other', error: 'unsupported_grant_type' })).toBe(1);
    expect(after).not.toContain('made-up-grant');
    // The client was looked up once, then served from the access cache.
    expect(sample(after, 'keyhold_cache_hits_total', { cache: 'oauth_clients' })).toBeGreaterThan(0);
  });

  it('counts item views read from memory, and shows them emptied by a write', async () => {
    const vault = await f.admin<{ id: string }>('POST', '/vaults', { name: 'Metrics vault' });
    const item = await f.admin<{ id: string }>('POST', `/vaults/${vault.id}/items`, {
      title: 'Metrics item',
      fields: [{ purpose: 'PASSWORD', value: 'a metrics secret' }],
    });
    const before = await scrape();
    const hits = (text: string) => sample(text, 'keyhold_cache_hits_total', { cache: 'item_views' }) ?? 0;
    await f.admin('GET', `/vaults/${vault.id}/items/${item.id}`);
    await f.admin('GET', `/vaults/${vault.id}/items/${item.id}`);
    const read = await scrape();
    expect(hits(read) - hits(before)).toBe(1);
    expect(sample(read, 'keyhold_cache_entries', { cache: 'item_views' })).toBeGreaterThanOrEqual(1);
    // Any item write empties the views kept, whichever item it is.
    await f.admin('POST', `/vaults/${vault.id}/items`, { title: 'Another item', fields: [] });
    expect(sample(await scrape(), 'keyhold_cache_entries', { cache: 'item_views' })).toBe(0);
  });

  it('counts sign-in attempts by outcome, the throttled ones included', async () => {
    const before = await scrape();
    expect((await signIn(f.ownerPassword)).status).toBe(200);
    let throttled = 0;
    for (let i = 0; i < 8 && throttled === 0; i++) {
      const status = (await signIn('not the password')).status;
      if (status === 429) throttled += 1;
      else expect(status).toBe(401);
    }
    expect(throttled).toBe(1);
    const after = await scrape();
    const delta = (outcome: string) =>
      (sample(after, 'keyhold_sign_in_attempts_total', { surface: 'console', step: 'password', outcome }) ??
        0) -
      (sample(before, 'keyhold_sign_in_attempts_total', { surface: 'console', step: 'password', outcome }) ??
        0);
    expect(delta('accepted')).toBe(1);
    expect(delta('refused')).toBeGreaterThanOrEqual(5);
    expect(delta('throttled')).toBe(1);
  });

  it('measures the audit writer: each secret read waits for its event to commit', async () => {
    const vault = await f.admin<{ id: string }>('POST', '/vaults', { name: 'Audited reads' });
    const item = await f.admin<{ id: string }>('POST', `/vaults/${vault.id}/items`, {
      title: 'db',
      category: 'PASSWORD',
      fields: [{ purpose: 'PASSWORD', value: 'never-in-metrics' }],
    });
    const before = await scrape();
    await Promise.all(
      Array.from({ length: 5 }, () => f.admin('GET', `/vaults/${vault.id}/items/${item.id}`)),
    );
    const after = await scrape();
    const committed = (text: string) =>
      sample(text, 'keyhold_audit_commit_duration_seconds_count', { result: 'committed' }) ?? 0;
    expect(committed(after) - committed(before)).toBeGreaterThanOrEqual(5);
    expect(sample(after, 'keyhold_audit_writer_pending')).toBe(0);
    expect(after).not.toContain('never-in-metrics');
    // SQLite has no pool: the gauge has no sample.
    expect(sample(after, 'keyhold_database_pool_connections', { state: 'max' })).toBeUndefined();
  });
});

describe('metrics settings', () => {
  it('refuses an address other than loopback without a token, and a token without an address', () => {
    expect(() => loadConfig({ KEYHOLD_METRICS_LISTEN: '0.0.0.0:9464' })).toThrow(
      'KEYHOLD_METRICS_LISTEN is not a loopback address (0.0.0.0): set KEYHOLD_METRICS_TOKEN too, or listen on 127.0.0.1 or [::1]',
    );
    expect(() => loadConfig({ KEYHOLD_METRICS_TOKEN: TOKEN })).toThrow(
      'KEYHOLD_METRICS_TOKEN is set but KEYHOLD_METRICS_LISTEN is not',
    );
    expect(
      loadConfig({ KEYHOLD_METRICS_LISTEN: '0.0.0.0:9464', KEYHOLD_METRICS_TOKEN: TOKEN }).metricsListen,
    ).toEqual({
      host: '0.0.0.0',
      port: 9464,
    });
    expect(loadConfig({ KEYHOLD_METRICS_LISTEN: '[::1]:0' }).metricsListen).toEqual({ host: '::1', port: 0 });
  });

  it('says what a listen address must be, and never echoes a token', () => {
    expect(() => loadConfig({ KEYHOLD_METRICS_LISTEN: '9464' })).toThrow(
      'KEYHOLD_METRICS_LISTEN is invalid (got "9464"): must be HOST:PORT',
    );
    expect(() => loadConfig({ KEYHOLD_METRICS_LISTEN: '127.0.0.1:70000' })).toThrow(
      /KEYHOLD_METRICS_LISTEN is invalid/,
    );
    let message = '';
    try {
      loadConfig({ KEYHOLD_METRICS_LISTEN: '127.0.0.1:9464', KEYHOLD_METRICS_TOKEN: 'short secret' });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toBe(
      'KEYHOLD_METRICS_TOKEN is invalid: must be 32 to 512 printable ASCII characters without spaces (e.g. `openssl rand -base64 32`)',
    );
  });
});
