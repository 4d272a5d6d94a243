import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  authorizeInteractively,
  Browser,
  formBody,
  hiddenField,
  type OAuthFixture,
  startOAuthFixture,
} from '../helpers/oauth.js';

/**
 * The RFC 6819 countermeasures SECURITY.md cites that the RFC 9700 battery
 * (oauth-rfc9700.test.ts) does not show, one `describe` each, named by the RFC's sections. Raw
 * HTTP against a real socket, like that battery.
 */
let f: OAuthFixture;
let dataDir: string;
let rs: { id: string; secret: string; identifier: string };
let jwtRs: { id: string; secret: string; identifier: string };
let web: { clientId: string; clientSecret: string };
let rival: { clientId: string; clientSecret: string };
let service: { clientId: string; clientSecret: string };
const REDIRECT = 'https://app.example.com/cb';
const OTHER_REDIRECT = 'https://app.example.com/other';

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'keyhold-rfc6819-'));
  f = await startOAuthFixture({ KEYHOLD_DATA_DIR: dataDir });
  rs = await f.admin('POST', '/resource-servers', {
    identifier: 'https://notes.example.com',
    scopes: [{ name: 'notes:read', description: 'Read notes' }],
  });
  jwtRs = await f.admin('POST', '/resource-servers', {
    identifier: 'https://reports.example.com',
    scopes: [{ name: 'reports:read', description: 'Read reports' }],
    tokenFormat: 'jwt',
  });
  web = await f.admin('POST', '/clients', {
    name: 'Notes app',
    redirectUris: [REDIRECT, OTHER_REDIRECT],
    scopes: ['notes:read'],
  });
  rival = await f.admin('POST', '/clients', {
    name: 'Rival app',
    redirectUris: [REDIRECT],
    scopes: ['notes:read'],
  });
  service = await f.admin('POST', '/clients', {
    name: 'Report job',
    redirectUris: [],
    scopes: ['reports:read'],
    grantTypes: ['client_credentials'],
  });
}, 60_000);

afterAll(async () => {
  await f?.close();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

const basic = (id: string, secret: string) =>
  `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;

async function post(path: string, form: Record<string, string>, authorization?: string) {
  const response = await fetch(`${f.issuer}${path}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      ...(authorization ? { authorization } : {}),
    },
    body: formBody(form),
  });
  return {
    status: response.status,
    headers: response.headers,
    body: (await response.json().catch(() => null)) as Record<string, unknown> | null,
  };
}

const as = (client: { clientId: string; clientSecret: string }) =>
  basic(client.clientId, client.clientSecret);

/** A fresh code for `web`, approved by the signed-in owner, with its PKCE verifier. */
const owner = new Browser();
async function freshCode(redirectUri = REDIRECT): Promise<{ code: string; verifier: string }> {
  const verifier = randomBytes(32).toString('base64url');
  const params = new URLSearchParams({
    response_type: 'code',
    client_id: web.clientId,
    redirect_uri: redirectUri,
    scope: 'notes:read',
    state: 's',
    code_challenge: createHash('sha256').update(verifier).digest('base64url'),
    code_challenge_method: 'S256',
  });
  const callback = await authorizeInteractively(owner, `${f.issuer}/authorize?${params}`, {
    email: f.ownerEmail,
    password: f.ownerPassword,
  });
  return { code: callback.searchParams.get('code') ?? '', verifier };
}

async function tokensFor(c: { code: string; verifier: string }) {
  const answer = await post(
    '/token',
    { grant_type: 'authorization_code', code: c.code, redirect_uri: REDIRECT, code_verifier: c.verifier },
    as(web),
  );
  expect(answer.status).toBe(200);
  return answer.body as { access_token: string; refresh_token: string };
}

describe('4.4.1.7, 4.4.1.13: a code is bound to its client and redirect URI', () => {
  it('is refused to another client, and with another registered redirect URI', async () => {
    const c = await freshCode();
    const form = { grant_type: 'authorization_code', code: c.code, code_verifier: c.verifier };
    // Another registered client with the right verifier and redirect URI: the answer is the one
    // an unknown code gets, so it learns nothing about the code either.
    const stolen = await post('/token', { ...form, redirect_uri: REDIRECT }, as(rival));
    expect(stolen.status).toBe(400);
    expect(stolen.body).toEqual({
      error: 'invalid_grant',
      error_description: 'the code is invalid or expired',
    });
    // The right client, with a redirect URI it registered but did not use for this code.
    const moved = await post('/token', { ...form, redirect_uri: OTHER_REDIRECT }, as(web));
    expect(moved.status).toBe(400);
    expect(moved.body?.error).toBe('invalid_grant');
    expect(moved.body?.error_description).toContain('redirect_uri');
    // Neither was issued anything: the client the code was for still redeems it.
    await tokensFor(c);
  });
});

describe('4.1.2, 4.5.2, 4.5.3: a refresh token works only for the client it was issued to', () => {
  it('is refused to another client and still works for its own', async () => {
    const { refresh_token } = await tokensFor(await freshCode());
    const stolen = await post('/token', { grant_type: 'refresh_token', refresh_token }, as(rival));
    expect(stolen.status).toBe(400);
    expect(stolen.body).toEqual({
      error: 'invalid_grant',
      error_description: 'the refresh token is invalid, expired or revoked',
    });
    // The refused attempt neither rotated it nor revoked the grant.
    const own = await post('/token', { grant_type: 'refresh_token', refresh_token }, as(web));
    expect(own.status).toBe(200);
    expect(own.body?.refresh_token).toMatch(/^khrt_/);
  });
});

describe('4.3.1, 4.6.6: answers that carry tokens are never stored by a cache', () => {
  it('sends no-store from the token, introspection and revocation endpoints, errors included', async () => {
    const issued = await post(
      '/token',
      { grant_type: 'client_credentials', scope: 'reports:read' },
      as(service),
    );
    expect(issued.status).toBe(200);
    const refused = await post(
      '/token',
      { grant_type: 'client_credentials', scope: 'reports:read' },
      basic(service.clientId, 'khcs_x'),
    );
    expect(refused.status).toBe(401);
    const token = issued.body?.access_token as string;
    const introspected = await post('/introspect', { token }, basic(jwtRs.id, jwtRs.secret));
    expect(introspected.body?.active).toBe(true);
    const revoked = await post('/revoke', { token }, as(service));
    expect(revoked.status).toBe(200);
    for (const answer of [issued, refused, introspected, revoked]) {
      expect(answer.headers.get('cache-control')).toBe('no-store');
    }
  });
});

describe('4.3.2, 4.3.4, 4.4.1.2, 4.5.2: the database holds no usable OAuth credential', () => {
  it('has none of the issued tokens, codes, secrets, session or password in its file or WAL', async () => {
    const c = await freshCode();
    const { access_token, refresh_token } = await tokensFor(c);
    const jwt = (
      await post('/token', { grant_type: 'client_credentials', scope: 'reports:read' }, as(service))
    ).body?.access_token as string;
    expect(jwt.split('.')).toHaveLength(3);
    const session = await signIn();
    const credentials: Record<string, string> = {
      'authorization code': c.code,
      'PKCE verifier': c.verifier,
      'opaque access token': access_token,
      'refresh token': refresh_token,
      'JWT access token': jwt,
      'JWT signature': jwt.split('.')[2] as string,
      'client secret': web.clientSecret,
      'resource server secret': rs.secret,
      'session cookie': session,
      'user password': f.ownerPassword,
    };
    // Each value without its prefix too, in case something strips it before storing.
    const needles = Object.entries(credentials).flatMap(([name, value]) => {
      const bare = value.replace(/^kh[a-z]{2}_/, '');
      return [
        [name, value],
        [`${name} (without prefix)`, bare],
      ] as const;
    });
    const scan = () => {
      const files = readdirSync(dataDir).filter((name) => name.startsWith('keyhold.db'));
      for (const file of files) {
        const bytes = readFileSync(join(dataDir, file));
        for (const [name, value] of needles) {
          for (const encoding of ['utf8', 'utf16le'] as const) {
            expect(bytes.includes(Buffer.from(value, encoding)), `${name} (${encoding}) in ${file}`).toBe(
              false,
            );
          }
        }
      }
      return files;
    };
    // While the WAL still holds the recent writes, then again once they are in the main file.
    expect(scan()).toContain('keyhold.db-wal');
    const raw = new Database(join(dataDir, 'keyhold.db'));
    try {
      raw.pragma('busy_timeout = 5000');
      raw.pragma('wal_checkpoint(TRUNCATE)');
      // The rows are there, by hash: the scan did not pass for want of data.
      const count = (sql: string) => (raw.prepare(sql).get() as { n: number }).n;
      expect(count('select count(*) as n from oauth_tokens')).toBeGreaterThanOrEqual(3);
      expect(count('select count(*) as n from oauth_codes')).toBeGreaterThanOrEqual(1);
      expect(count('select count(*) as n from login_sessions')).toBeGreaterThanOrEqual(1);
    } finally {
      raw.close();
    }
    scan();
  });
});

/** Signs the owner in on the sign-in page; returns the session cookie's value. */
async function signIn(): Promise<string> {
  const page = await fetch(`${f.issuer}/login`);
  const loginCookie = page.headers
    .getSetCookie()
    .map((line) => line.split(';')[0])
    .join('; ');
  const answer = await fetch(`${f.issuer}/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: loginCookie },
    body: formBody({
      csrf: hiddenField(await page.text(), 'csrf'),
      email: f.ownerEmail,
      password: f.ownerPassword,
    }),
  });
  expect(answer.status).toBe(303);
  const session = answer.headers
    .getSetCookie()
    .map((line) => /^keyhold_session=([^;]+)/.exec(line)?.[1])
    .find((value) => value !== undefined);
  expect(session).toMatch(/^khss_/);
  return session as string;
}
