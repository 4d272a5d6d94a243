import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { CatalogCheck } from '../../src/domain/oauth/catalog-check.js';
import { databasePath } from '../../src/storage/sqlite/backend.js';
import {
  authorizeInteractively,
  Browser,
  hiddenField,
  type OAuthFixture,
  startOAuthFixture,
} from '../helpers/oauth.js';

/**
 * The seed's lockout story (seeds/004): in PingFederate, a service provider registered with a
 * scope the authorization server lacks — a misspelling, even only in case — makes every sign-in
 * through it fail, administrators' included. In Keyhold the misspelled registration is refused
 * with the near-miss named, the lint names it if the registry is altered anyway, and sign-in
 * never depends on any client's scopes: only that client's requests fail, with `invalid_scope`.
 */
let f: OAuthFixture;
let dataDir: string;
const REDIRECT = 'https://reports.example.com/cb';

beforeAll(async () => {
  // The data directory is ours, so the registry can be altered behind the service's back.
  dataDir = mkdtempSync(join(tmpdir(), 'keyhold-lockout-'));
  f = await startOAuthFixture({ KEYHOLD_DATA_DIR: dataDir });
}, 60_000);

afterAll(async () => {
  await f?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

/** The admin API, answering errors instead of throwing them. */
async function adminCall(method: string, path: string, body?: unknown) {
  const response = await fetch(`${f.url}/api/admin${path}`, {
    method,
    headers: { authorization: `Bearer ${f.adminToken}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return {
    status: response.status,
    body: (text === '' ? {} : JSON.parse(text)) as { code?: string; message?: string },
  };
}

/** The owner signs in on the login page in a fresh browser and opens their grants page. */
async function ownerSignsIn(): Promise<Browser> {
  const browser = new Browser();
  const page = await (await browser.fetch(`${f.issuer}/login`)).text();
  const login = await browser.fetch(`${f.issuer}/login`, {
    form: { csrf: hiddenField(page, 'csrf'), email: f.ownerEmail, password: f.ownerPassword },
  });
  expect(login.status).toBe(303);
  const grants = await browser.fetch(`${f.issuer}/grants`);
  expect(grants.status).toBe(200);
  expect(await grants.text()).toContain(`Signed in as ${f.ownerEmail}`);
  return browser;
}

function authorizeUrl(clientId: string, scope: string): string {
  const challenge = createHash('sha256').update(randomBytes(32).toString('base64url')).digest('base64url');
  return `${f.issuer}/authorize?${new URLSearchParams({
    response_type: 'code',
    client_id: clientId,
    redirect_uri: REDIRECT,
    scope,
    state: 'st-lockout',
    code_challenge: challenge,
    code_challenge_method: 'S256',
  })}`;
}

it('a misspelled scope is refused with the near-miss named, and no scope mistake locks anyone out', async () => {
  // 1. Catalog first: the admin registers the resource server and its scopes.
  await f.admin('POST', '/resource-servers', {
    identifier: 'https://ledger.example.com',
    name: 'Ledger',
    scopes: [
      { name: 'ledger:read', description: 'Read the ledger' },
      { name: 'ledger:write', description: 'Write the ledger' },
    ],
  });

  // 2. Then the client — with the seed's mistake, `Vault:Read` for `vault:read`. Refused, named.
  const misspelled = await adminCall('POST', '/clients', {
    name: 'Reports',
    redirectUris: [REDIRECT],
    scopes: ['ledger:read', 'Vault:Read'],
  });
  expect(misspelled.status).toBe(400);
  expect(misspelled.body.code).toBe('invalid_input');
  expect(misspelled.body.message).toContain('`Vault:Read` is not in the catalog');
  expect(misspelled.body.message).toContain('did you mean `vault:read`?');
  // A mistake in a registered resource server's scope is caught the same way.
  const ledgerTypo = await adminCall('POST', '/clients', {
    name: 'Reports',
    redirectUris: [REDIRECT],
    scopes: ['Ledger:Read'],
  });
  expect(ledgerTypo.status).toBe(400);
  expect(ledgerTypo.body.message).toContain('did you mean `ledger:read`?');
  expect(await f.admin('GET', '/clients')).toEqual([]);

  // 3. Spelled right, the client registers, and the lint (`keyhold scopes check`) is clean.
  const reports = await f.admin<{ clientId: string }>('POST', '/clients', {
    name: 'Reports',
    redirectUris: [REDIRECT],
    scopes: ['ledger:read', 'vault:read'],
  });
  const healthy = await f.admin<{ clientId: string }>('POST', '/clients', {
    name: 'Bookkeeping',
    redirectUris: [REDIRECT],
    scopes: ['ledger:read'],
  });
  expect((await f.admin<CatalogCheck>('GET', '/scopes/check')).ok).toBe(true);
  await ownerSignsIn();

  // 4. The registry is altered behind the service's back: the misspelling lands after all.
  const db = new BetterSqlite3(databasePath(dataDir));
  try {
    db.pragma('busy_timeout = 5000');
    const changed = db
      .prepare('update oauth_clients set scopes = ? where id = ?')
      .run(JSON.stringify(['ledger:read', 'Vault:Read']), reports.clientId);
    expect(changed.changes).toBe(1);
  } finally {
    db.close();
  }

  // 5. The lint reports it as an error, with the near-miss to fix it with.
  const check = await f.admin<CatalogCheck>('GET', '/scopes/check');
  expect(check.ok).toBe(false);
  expect(check.problems).toContainEqual(
    expect.objectContaining({
      severity: 'error',
      code: 'client_scope_unknown',
      subject: reports.clientId,
      suggestion: 'vault:read',
      message: expect.stringContaining('did you mean `vault:read`?'),
    }),
  );

  // 6. The admin still signs in and reaches the grants page; the admin API still works.
  const owner = await ownerSignsIn();
  const clients = await f.admin<{ clientId: string; scopes: string[] }[]>('GET', '/clients');
  expect(clients.find((c) => c.clientId === reports.clientId)?.scopes).toEqual(['ledger:read', 'Vault:Read']);
  expect((await adminCall('GET', '/users')).status).toBe(200);

  // 7. Only the broken client's request for the broken scope fails: `invalid_scope` at its
  //    redirect URI, naming the near-miss — for the signed-in admin and for a stranger alike.
  for (const browser of [owner, new Browser()]) {
    const refused = await browser.fetch(authorizeUrl(reports.clientId, 'Vault:Read'));
    expect(refused.status).toBe(303);
    const location = new URL(refused.headers.get('location') ?? '');
    expect(`${location.origin}${location.pathname}`).toBe(REDIRECT);
    expect(location.searchParams.get('error')).toBe('invalid_scope');
    expect(location.searchParams.get('error_description')).toContain('did you mean `vault:read`?');
    expect(location.searchParams.get('iss')).toBe(f.issuer);
    expect(location.searchParams.get('state')).toBe('st-lockout');
  }

  // 8. No lockout of anyone else: the owner still authorizes the healthy client, and even the
  //    broken client for the scope it has right.
  const user = { email: f.ownerEmail, password: f.ownerPassword };
  for (const clientId of [healthy.clientId, reports.clientId]) {
    const callback = await authorizeInteractively(owner, authorizeUrl(clientId, 'ledger:read'), user);
    expect(callback.searchParams.get('error')).toBeNull();
    expect(callback.searchParams.get('code')).toMatch(/.{20,}/);
  }

  // 9. The fix: the admin removes the broken client, and the lint is clean again.
  expect((await adminCall('DELETE', `/clients/${reports.clientId}`)).status).toBe(204);
  expect(await f.admin<CatalogCheck>('GET', '/scopes/check')).toEqual({ ok: true, problems: [] });
});
