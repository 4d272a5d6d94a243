import { createHash, randomBytes } from 'node:crypto';
import * as oauth from 'oauth4webapi';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authorizeInteractively, Browser, type OAuthFixture, startOAuthFixture } from '../helpers/oauth.js';

/**
 * `grant_management_action` at the authorization endpoint and PAR (OAuth Grant Management draft
 * §4), over real HTTP through the real sign-in and consent pages: `create` makes a fresh grant,
 * `merge` adds to a named grant, `replace` sets it; the grant as the client then reads it at
 * `{issuer}/grant-management/{grant_id}`; and each refusal (`invalid_grant_id`, malformed
 * combinations), at the redirect URI and at PAR.
 */
let f: OAuthFixture;
const REDIRECT = 'https://app.example.com/callback';
type Registered = { clientId: string; clientSecret: string };
let app: Registered;
let other: Registered;
let owner: { email: string; password: string };
const browser = new Browser();

beforeAll(async () => {
  f = await startOAuthFixture();
  await f.admin('POST', '/resource-servers', {
    identifier: 'https://reports.example.com',
    name: 'Reports',
    scopes: [
      { name: 'reports:read', description: 'Read reports' },
      { name: 'reports:write', description: 'Write reports' },
    ],
  });
  const client = (name: string) =>
    f.admin<Registered>('POST', '/clients', {
      name,
      redirectUris: [REDIRECT],
      scopes: ['reports:read', 'reports:write'],
      grantTypes: ['authorization_code'],
    });
  app = await client('Reporting app');
  other = await client('Other app');
  owner = { email: f.ownerEmail, password: f.ownerPassword };
}, 60_000);

afterAll(async () => {
  await f?.close();
});

const basic = (c: Registered) => `Basic ${Buffer.from(`${c.clientId}:${c.clientSecret}`).toString('base64')}`;
const pkce = () => {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
};
const request = (
  c: Registered,
  scope: string,
  extra: Record<string, string>,
  challenge = pkce().challenge,
) => ({
  response_type: 'code',
  client_id: c.clientId,
  redirect_uri: REDIRECT,
  scope,
  state: 'gm',
  code_challenge: challenge,
  code_challenge_method: 'S256',
  ...extra,
});
const location = (response: Response) => new URL(response.headers.get('location') ?? 'about:blank', f.url);

/** Through the pages (approving everything offered) to the token response of `c`. */
async function tokens(c: Registered, scope: string, extra: Record<string, string> = {}) {
  const { verifier, challenge } = pkce();
  const callback = await authorizeInteractively(
    browser,
    `${f.issuer}/authorize?${new URLSearchParams(request(c, scope, extra, challenge))}`,
    owner,
  );
  expect(callback.searchParams.get('error'), callback.href).toBeNull();
  const response = await fetch(`${f.issuer}/token`, {
    method: 'POST',
    headers: { authorization: basic(c) },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      code: callback.searchParams.get('code') ?? '',
      redirect_uri: REDIRECT,
      code_verifier: verifier,
    }),
  });
  expect(response.status, await response.clone().text()).toBe(200);
  return (await response.json()) as { access_token: string; grant_id: string; scope: string };
}
/** The grant as the client reads it with a token of the grant. */
async function grantScopes(grantId: string, token: string): Promise<string[]> {
  const response = await fetch(`${f.issuer}/grant-management/${grantId}`, {
    headers: { authorization: `Bearer ${token}` },
  });
  expect(response.status).toBe(200);
  const body = (await response.json()) as { scopes: { scope: string }[] };
  return (body.scopes[0]?.scope ?? '').split(' ').sort();
}
/** The redirect answer of a browser-sent request. */
async function refusal(c: Registered, extra: Record<string, string>) {
  const response = await browser.fetch(
    `${f.issuer}/authorize?${new URLSearchParams(request(c, 'reports:read', extra))}`,
  );
  expect(response.status).toBe(303);
  return Object.fromEntries(location(response).searchParams);
}

it('advertises the actions it supports', async () => {
  const issuer = new URL(f.issuer);
  const as = await oauth.processDiscoveryResponse(
    issuer,
    await oauth.discoveryRequest(issuer, { algorithm: 'oauth2', [oauth.allowInsecureRequests]: true }),
  );
  expect(as.grant_management_actions_supported).toEqual(['create', 'merge', 'replace']);
  expect(as.grant_management_action_required).toBe(false);
});

describe('create, merge, replace', () => {
  let grantId: string;

  it('create makes a grant of what the user approved', async () => {
    const t = await tokens(app, 'reports:read', { grant_management_action: 'create' });
    grantId = t.grant_id;
    expect(t.scope).toBe('reports:read');
    expect(await grantScopes(grantId, t.access_token)).toEqual(['reports:read']);
  });

  it('merge adds the newly approved scope to the named grant, keeping what it held', async () => {
    const t = await tokens(app, 'reports:write', { grant_management_action: 'merge', grant_id: grantId });
    expect(t.grant_id).toBe(grantId);
    expect(await grantScopes(grantId, t.access_token)).toEqual(['reports:read', 'reports:write']);
  });

  it('replace sets the named grant to what the user approved now, asking again', async () => {
    const t = await tokens(app, 'reports:write', { grant_management_action: 'replace', grant_id: grantId });
    expect(t.grant_id).toBe(grantId);
    expect(await grantScopes(grantId, t.access_token)).toEqual(['reports:write']);
  });

  it('create again makes a fresh grant: a new id, and the old grant ends', async () => {
    const old = await tokens(app, 'reports:write', { grant_management_action: 'merge', grant_id: grantId });
    const t = await tokens(app, 'reports:read', { grant_management_action: 'create' });
    expect(t.grant_id).not.toBe(grantId);
    expect(await grantScopes(t.grant_id, t.access_token)).toEqual(['reports:read']);
    const gone = await fetch(`${f.issuer}/grant-management/${grantId}`, {
      headers: { authorization: `Bearer ${old.access_token}` },
    });
    expect(gone.status).toBe(401);
    grantId = t.grant_id;
  });

  it('refuses another client’s grant, an unknown one and a malformed id as invalid_grant_id', async () => {
    const foreign = await tokens(other, 'reports:read');
    for (const id of [foreign.grant_id, '01jf0000000000000000000000', 'not-an-id']) {
      expect(await refusal(app, { grant_management_action: 'merge', grant_id: id })).toEqual({
        error: 'invalid_grant_id',
        error_description: `grant_id ${id} is not a grant of this client for https://reports.example.com`,
        state: 'gm',
        iss: f.issuer,
      });
    }
  });

  it('refuses another user’s grant of the same client at consent, as invalid_grant_id', async () => {
    // A second user of the account, signed in in a second browser.
    const email = 'second@example.com';
    const password = 'another correct horse battery';
    await f.admin('POST', '/users', { email, role: 'member', password });
    const second = new Browser();
    const response = await authorizeInteractively(
      second,
      `${f.issuer}/authorize?${new URLSearchParams(
        request(app, 'reports:read', { grant_management_action: 'merge', grant_id: grantId }),
      )}`,
      { email, password },
    );
    expect(Object.fromEntries(response.searchParams)).toEqual({
      error: 'invalid_grant_id',
      error_description: `grant_id ${grantId} is not a grant of the signed-in user for this client`,
      state: 'gm',
      iss: f.issuer,
    });
  });

  it('refuses malformed combinations as invalid_request', async () => {
    const cases: [Record<string, string>, string][] = [
      [{ grant_management_action: 'merge' }, 'grant_management_action merge needs grant_id'],
      [{ grant_management_action: 'replace' }, 'grant_management_action replace needs grant_id'],
      [
        { grant_management_action: 'create', grant_id: grantId },
        'grant_management_action create takes no grant_id: it makes a new grant',
      ],
      [{ grant_id: grantId }, 'grant_id needs grant_management_action merge or replace'],
      [
        { grant_management_action: 'update' },
        'grant_management_action update is not supported; use create, merge, replace',
      ],
    ];
    for (const [extra, description] of cases) {
      expect(await refusal(app, extra)).toMatchObject({
        error: 'invalid_request',
        error_description: description,
      });
    }
  });

  it('answers invalid_grant_id at PAR, in the response', async () => {
    const response = await fetch(`${f.issuer}/par`, {
      method: 'POST',
      headers: { authorization: basic(other) },
      body: new URLSearchParams(
        request(other, 'reports:read', { grant_management_action: 'replace', grant_id: grantId }),
      ),
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({
      error: 'invalid_grant_id',
      error_description: `grant_id ${grantId} is not a grant of this client for https://reports.example.com`,
    });
  });
});

describe('create ends the old grant for the Connect bridge too', () => {
  it('a Connect token exchanged under the old grant is revoked when create replaces the grant', async () => {
    const vault = await f.admin<{ id: string }>('POST', '/vaults', { name: 'Bridged' });
    const users = await f.admin<{ id: string; email: string }[]>('GET', '/users');
    const ownerId = users.find((u) => u.email === f.ownerEmail)?.id;
    await f.admin('PUT', `/users/${ownerId}/vaults/${vault.id}`, { permissions: ['read'] });
    const server = await f.admin<{ id: string }>('POST', '/servers', {
      name: 'Bridge node',
      vaults: [vault.id],
    });
    const bridged = await f.admin<Registered>('POST', '/clients', {
      name: 'Bridging app',
      redirectUris: [REDIRECT],
      scopes: ['vault:read'],
      grantTypes: ['authorization_code', 'urn:ietf:params:oauth:grant-type:token-exchange'],
    });
    const first = await tokens(bridged, 'vault:read', { grant_management_action: 'create' });
    const exchanged = await fetch(`${f.issuer}/token`, {
      method: 'POST',
      headers: { authorization: basic(bridged) },
      body: new URLSearchParams({
        grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
        subject_token: first.access_token,
        subject_token_type: 'urn:ietf:params:oauth:token-type:access_token',
        requested_token_type: 'urn:keyhold:params:oauth:token-type:connect',
        audience: server.id,
      }),
    });
    expect(exchanged.status, await exchanged.clone().text()).toBe(200);
    const connectTokens = () =>
      f.admin<{ name: string; revokedAt: string | null }[]>('GET', `/servers/${server.id}/tokens`);
    expect((await connectTokens()).map((t) => t.revokedAt)).toEqual([null]);

    const second = await tokens(bridged, 'vault:read', { grant_management_action: 'create' });
    expect(second.grant_id).not.toBe(first.grant_id);
    const after = await connectTokens();
    expect(after).toHaveLength(1);
    expect(after[0]?.revokedAt).not.toBeNull();
  });
});
