import * as openid from 'openid-client';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '../../src/crypto/ids.js';
import { clientCalls, launchChromium, startCallbackServer } from '../helpers/browser-client.js';
import { signIn, waitForHeading } from '../helpers/console-browser.js';
import { type OAuthFixture, startOAuthFixture } from '../helpers/oauth.js';
import { discoverClient } from '../helpers/openid-client.js';

/**
 * RFC 9396 `keyhold_vault` details narrowed to fields of an item, end to end over real HTTP:
 * openid-client pushes the request (PAR); in Debian's chromium the user sees the fields by their
 * labels and approves one entry of two; the token then reads that item at /api/v1 with only the
 * named fields — every other field, its section's name, the notes, URLs, tags and files absent —
 * is refused the item's files and any write, keeps the narrowing through a refresh and a token
 * exchange, gets nothing from the Connect bridge, and shows it at introspection and grant
 * management. Every malformed `fields` is refused with `invalid_authorization_details`.
 */
const TOKEN_EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';
const USER = { email: 'fields@example.com', password: 'fields user password of some length' };

/** Everything of the item outside the two approved fields: none of it may reach the token. */
const HIDDEN = [
  'note-secret-9',
  'recovery-10',
  'Recovery code',
  'Break glass',
  'notesPlain',
  'db.internal.example',
  'prod-tag',
  'dump.sql',
  'file-secret-11',
  'old-pass-0',
];

let f: OAuthFixture;
let production: { id: string };
let dbLogin: { id: string };
let apiKey: { id: string };
let app: { clientId: string; clientSecret: string };
let callback: Awaited<ReturnType<typeof startCallbackServer>> | undefined;
let redirectUri = '';
let browser: Browser;
let page: Page;
let config: openid.Configuration;
let tokens: openid.TokenEndpointResponse;
let approved: Record<string, unknown>;

beforeAll(async () => {
  callback = await startCallbackServer();
  redirectUri = callback.redirectUri;
  f = await startOAuthFixture();
  production = await f.admin('POST', '/vaults', { name: 'Production' });
  const user = await f.admin<{ id: string }>('POST', '/users', { ...USER, role: 'member' });
  await f.admin('PUT', `/users/${user.id}/vaults/${production.id}`, { permissions: ['read', 'write'] });
  const content = (password: string) => ({
    category: 'LOGIN',
    title: 'DB login',
    urls: [{ href: 'https://db.internal.example' }],
    tags: ['prod-tag'],
    sections: [
      { id: 'conn', label: 'Connection' },
      { id: 'glass', label: 'Break glass' },
    ],
    fields: [
      { id: 'username', type: 'STRING', purpose: 'USERNAME', label: 'Username', value: 'db-user-7' },
      {
        id: 'password',
        type: 'CONCEALED',
        purpose: 'PASSWORD',
        label: 'Password',
        value: password,
        section: { id: 'conn' },
      },
      { id: 'notesPlain', type: 'STRING', purpose: 'NOTES', label: 'notesPlain', value: 'note-secret-9' },
      {
        id: 'recovery',
        type: 'CONCEALED',
        label: 'Recovery code',
        value: 'recovery-10',
        section: { id: 'glass' },
      },
    ],
  });
  dbLogin = await f.admin('POST', `/vaults/${production.id}/items`, content('old-pass-0'));
  // A second version, so the item has a history holding an older password.
  await f.admin('PUT', `/vaults/${production.id}/items/${dbLogin.id}`, content('db-pass-8'));
  const upload = await fetch(
    `${f.url}/api/admin/vaults/${production.id}/items/${dbLogin.id}/files?name=dump.sql`,
    {
      method: 'POST',
      headers: { authorization: `Bearer ${f.adminToken}`, 'content-type': 'application/octet-stream' },
      body: 'file-secret-11',
    },
  );
  expect(upload.status).toBe(201);
  apiKey = await f.admin('POST', `/vaults/${production.id}/items`, {
    category: 'LOGIN',
    title: 'API key',
    fields: [{ id: 'password', type: 'CONCEALED', purpose: 'PASSWORD', value: 'api-secret-2' }],
  });
  app = await f.admin('POST', '/clients', {
    name: 'Field app',
    redirectUris: [redirectUri],
    scopes: ['vault:*:read', 'vault:*:write'],
    grantTypes: ['authorization_code', 'refresh_token', TOKEN_EXCHANGE],
  });
  await f.admin('POST', '/servers', { name: 'Production node', vaults: [production.id] });
  config = await discoverClient(f.issuer, app, redirectUri);
  browser = await launchChromium();
  page = await (await browser.newContext()).newPage();
  page.setDefaultTimeout(10_000);
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await callback?.close();
  await f?.close();
});

const { post, api } = clientCalls(
  () => f,
  () => app,
);
const itemPath = () => `/vaults/${production.id}/items/${dbLogin.id}`;

interface Item {
  id: string;
  title: string;
  tags: string[];
  urls?: unknown;
  files?: unknown;
  sections: { id: string; label?: string }[];
  fields: { id: string; label: string; value: string }[];
}

/** The narrowed read: exactly the two approved fields, the section one of them is in, nothing else. */
async function expectNarrowedRead(token: string): Promise<void> {
  const response = await api(token, itemPath());
  expect(response.status).toBe(200);
  const text = await response.text();
  const item = JSON.parse(text) as Item;
  expect(item.id).toBe(dbLogin.id);
  expect(item.title).toBe('DB login');
  expect(item.fields.map((field) => [field.id, field.label, field.value])).toEqual([
    ['username', 'Username', 'db-user-7'],
    ['password', 'Password', 'db-pass-8'],
  ]);
  expect(item.sections).toEqual([{ id: 'conn', label: 'Connection' }]);
  expect(item.tags).toEqual([]);
  expect(item).not.toHaveProperty('urls');
  expect(item).not.toHaveProperty('files');
  for (const hidden of HIDDEN) expect(text).not.toContain(hidden);
}

describe('field narrowing: consent in Chromium (openid-client, PAR)', () => {
  it('shows the fields by their labels per entry; one of two is approved; a missing field is not offered', async () => {
    approved = {
      type: 'keyhold_vault',
      vaults: [production.id],
      items: [dbLogin.id],
      fields: ['password', 'username'],
      actions: ['read'],
    };
    const details = [
      approved,
      {
        type: 'keyhold_vault',
        vaults: [production.id],
        items: [dbLogin.id],
        fields: ['recovery'],
        actions: ['read'],
      },
      // A field the item does not have: not approvable, and not named on the page.
      {
        type: 'keyhold_vault',
        vaults: [production.id],
        items: [apiKey.id],
        fields: ['otp-seed'],
        actions: ['read'],
      },
    ];
    const verifier = openid.randomPKCECodeVerifier();
    const state = openid.randomState();
    const url = await openid.buildAuthorizationUrlWithPAR(config, {
      redirect_uri: redirectUri,
      state,
      code_challenge: await openid.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      authorization_details: JSON.stringify(details),
    });
    await page.goto(url.toString());
    await page.getByLabel('Email').fill(USER.email);
    await page.getByLabel('Password').fill(USER.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL((u) => u.pathname.endsWith('/authorize'));

    const two = page.getByRole('checkbox', {
      name: /^Read only the fields 'Password' and 'Username' of the item 'DB login' in vault 'Production'; no other field, note, URL or file of it/,
    });
    const recovery = page.getByRole('checkbox', {
      name: /^Read only the field 'Recovery code' of the item 'DB login' in vault 'Production'/,
    });
    expect(await page.getByRole('checkbox').count()).toBe(2);
    expect(await two.isChecked()).toBe(true);
    expect(await recovery.isChecked()).toBe(true);
    const body = (await page.locator('body').textContent()) ?? '';
    expect(body).toContain('Access to something you cannot share');
    expect(body).not.toContain('otp-seed');
    expect(body).not.toContain('API key');
    await recovery.uncheck();
    await page.getByRole('button', { name: 'Allow selected' }).click();
    await page.waitForURL(`${redirectUri}?**`);

    tokens = await openid.authorizationCodeGrant(config, new URL(page.url()), {
      pkceCodeVerifier: verifier,
      expectedState: state,
    });
    expect(tokens.authorization_details).toEqual([approved]);
    expect(tokens.scope).toBe(`vault:${production.id}:read`);
  });

  it('the token reads the item with the named fields only: every other field, section, note, URL, tag and file absent', async () => {
    await expectNarrowedRead(tokens.access_token);
  });

  it('lists the item without URLs or tags, and a filter cannot find it by a tag it does not show', async () => {
    const list = (await (await api(tokens.access_token, `/vaults/${production.id}/items`)).text()) as string;
    const items = JSON.parse(list) as Item[];
    expect(items.map((i) => [i.id, i.title, i.tags])).toEqual([[dbLogin.id, 'DB login', []]]);
    expect(items[0]).not.toHaveProperty('urls');
    for (const hidden of HIDDEN) expect(list).not.toContain(hidden);
    const byTag = await api(
      tokens.access_token,
      `/vaults/${production.id}/items?${new URLSearchParams({ filter: 'tag eq "prod-tag"' })}`,
    );
    expect(await byTag.json()).toEqual([]);
    const byTitle = await api(
      tokens.access_token,
      `/vaults/${production.id}/items?${new URLSearchParams({ filter: 'title eq "DB login"' })}`,
    );
    expect(((await byTitle.json()) as Item[]).map((i) => i.id)).toEqual([dbLogin.id]);
  });

  it('refuses another item, the files and every write, with the body of any detail refusal', async () => {
    const token = tokens.access_token;
    const other = await api(token, `/vaults/${production.id}/items/${apiKey.id}`);
    expect(other.status).toBe(403);
    const otherBody = (await other.json()) as Record<string, unknown>;
    const fileId = ((await f.admin(`GET`, `${itemPath()}/files`)) as { id: string }[])[0]?.id;
    const refused = [
      await api(token, `${itemPath()}/files`),
      await api(token, `${itemPath()}/files/${fileId}`),
      await api(token, `${itemPath()}/files/${fileId}/content`),
      await api(token, itemPath(), {
        method: 'PATCH',
        body: JSON.stringify([{ op: 'replace', path: '/title', value: 'changed' }]),
      }),
      await api(token, itemPath(), {
        method: 'PUT',
        body: JSON.stringify({ title: 'x', category: 'LOGIN' }),
      }),
      await api(token, itemPath(), { method: 'DELETE' }),
    ];
    for (const [at, response] of refused.entries()) {
      expect(response.status).toBe(403);
      const text = await response.text();
      expect(Object.keys(JSON.parse(text)).sort()).toEqual(Object.keys(otherBody).sort());
      // The files for the narrowing; the writes already for the scope (read only).
      if (at < 3)
        expect(text).toMatch(
          /allow reading only some fields of item .*: its files and versions are out of reach/,
        );
      for (const hidden of HIDDEN) expect(text).not.toContain(hidden);
    }
    // Nothing changed, nothing deleted.
    const kept = (await f.admin('GET', itemPath())) as Item;
    expect(kept.title).toBe('DB login');
    // Versions live on the admin API only, which an OAuth token for the vault API never reaches.
    const versions = await fetch(`${f.url}/api/admin${itemPath()}/versions`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(versions.status).toBe(401);
  });

  it('introspection and grant management show the field narrowing; a refresh keeps it', async () => {
    const introspected = (await (await post('/introspect', { token: tokens.access_token })).json()) as Record<
      string,
      unknown
    >;
    expect(introspected).toMatchObject({ active: true, authorization_details: [approved] });
    const grant = await fetch(`${f.issuer}/grant-management/${String(tokens.grant_id)}`, {
      headers: { authorization: `Bearer ${tokens.access_token}` },
    });
    expect(await grant.json()).toMatchObject({ authorization_details: [approved] });
    const refreshed = await openid.refreshTokenGrant(config, tokens.refresh_token ?? '');
    expect(refreshed.authorization_details).toEqual([approved]);
    await expectNarrowedRead(refreshed.access_token);
    // The same entry without its fields is another entry: a refresh cannot trade one for the other.
    const { fields: _fields, ...whole } = approved;
    const wider = await post('/token', {
      grant_type: 'refresh_token',
      refresh_token: refreshed.refresh_token ?? '',
      authorization_details: JSON.stringify([whole]),
    });
    expect(wider.status).toBe(400);
    expect(await wider.json()).toMatchObject({ error: 'invalid_authorization_details' });
  });

  it('the admin API, the console’s grants page, the person’s connected applications and their grants page show the narrowing', async () => {
    const grants = await f.admin<{ id: string; clientId: string; authorizationDetails?: unknown }[]>(
      'GET',
      '/grants',
    );
    expect(grants.find((g) => g.clientId === app.clientId)?.authorizationDetails).toEqual([approved]);
    const consoleContext = await browser.newContext();
    try {
      const admin = await consoleContext.newPage();
      await signIn(admin, f.url, f.ownerEmail, f.ownerPassword);
      await admin.goto(`${f.url}/console/#/oauth/grants`);
      const card = admin.locator('.cards > li', { hasText: 'Field app' });
      await card.locator('.narrowed li').first().waitFor();
      expect(await card.locator('.narrowed li').allTextContents()).toEqual([
        `Read only the fields password, username of the item ${dbLogin.id} in Production`,
      ]);
      await admin.getByRole('button', { name: 'Sign out' }).click();
      await waitForHeading(admin, 'Sign in');
      const person = await consoleContext.newPage();
      await signIn(person, f.url, USER.email, USER.password);
      await person.goto(`${f.url}/console/#/connected`);
      const connected = person.locator('.cards > li', { hasText: 'Field app' });
      await connected.getByText('It can only, as you approved:').waitFor();
      expect(await connected.locator('.access li').allTextContents()).toEqual([
        `Read only the fields 'password' and 'username' of the item '${dbLogin.id}' in vault 'Production'; no other field, note, URL or file of it`,
      ]);
    } finally {
      await consoleContext.close();
    }
    // The authorization server's own grants page, where the person consented.
    await page.goto(`${f.issuer}/grants`);
    const row = page.locator('tr', { hasText: 'Field app' });
    expect(await row.locator('.narrowed li').allTextContents()).toEqual([
      `Read only the fields 'password' and 'username' of the item '${dbLogin.id}' in vault 'Production'; no other field, note, URL or file of it`,
    ]);
  });

  it('beside a vault-wide write entry, the narrowed item still cannot be changed: a change answers with the whole item', async () => {
    const details = [approved, { type: 'keyhold_vault', vaults: [production.id], actions: ['write'] }];
    const verifier = openid.randomPKCECodeVerifier();
    const url = await openid.buildAuthorizationUrlWithPAR(config, {
      redirect_uri: redirectUri,
      state: 'write',
      code_challenge: await openid.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      authorization_details: JSON.stringify(details),
    });
    await page.goto(url.toString());
    await page.getByRole('button', { name: 'Allow selected' }).click();
    await page.waitForURL(`${redirectUri}?**`);
    const both = await openid.authorizationCodeGrant(config, new URL(page.url()), {
      pkceCodeVerifier: verifier,
      expectedState: 'write',
    });
    expect(both.authorization_details).toEqual(details);
    const token = both.access_token;
    await expectNarrowedRead(token);
    const writes = [
      await api(token, itemPath(), {
        method: 'PATCH',
        body: JSON.stringify([{ op: 'replace', path: '/title', value: 'changed' }]),
      }),
      await api(token, itemPath(), {
        method: 'PUT',
        body: JSON.stringify({ title: 'x', category: 'LOGIN' }),
      }),
      await api(token, itemPath(), { method: 'DELETE' }),
      await fetch(`${f.url}/api/v1${itemPath()}/files?name=more.txt`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/octet-stream' },
        body: 'more',
      }),
    ];
    for (const response of writes) {
      expect(response.status).toBe(403);
      const text = await response.text();
      expect(text).toMatch(
        /allow reading only some fields of item .*: a change to it \(answered with the whole item\) is out of reach/,
      );
      for (const hidden of HIDDEN) expect(text).not.toContain(hidden);
    }
    expect(((await f.admin('GET', itemPath())) as Item).title).toBe('DB login');
    // The write entry still does what it says elsewhere in the vault.
    const other = await api(token, `/vaults/${production.id}/items/${apiKey.id}`, {
      method: 'PATCH',
      body: JSON.stringify([{ op: 'replace', path: '/title', value: 'API key (rotated)' }]),
    });
    expect(other.status).toBe(200);
    // Written but not readable by this token: a receipt, not the item.
    expect(JSON.stringify(await other.json())).not.toContain('api-secret-2');
  });
});

describe('field narrowing through a token exchange (RFC 8693)', () => {
  const exchange = (extra: Record<string, string>) =>
    post('/token', {
      grant_type: TOKEN_EXCHANGE,
      subject_token: tokens.access_token,
      subject_token_type: 'urn:ietf:params:oauth:token-type:access_token',
      ...extra,
    });

  it('an exchanged token keeps the fields: it reads the same two fields, never the whole item', async () => {
    const answer = await exchange({ scope: `vault:${production.id}:read` });
    expect(answer.status).toBe(200);
    const exchanged = (await answer.json()) as { access_token: string; authorization_details?: unknown };
    expect(exchanged.authorization_details).toEqual([approved]);
    await expectNarrowedRead(exchanged.access_token);
    expect((await api(exchanged.access_token, `${itemPath()}/files`)).status).toBe(403);
    const introspected = (await (
      await post('/introspect', { token: exchanged.access_token })
    ).json()) as Record<string, unknown>;
    expect(introspected).toMatchObject({ active: true, authorization_details: [approved] });
  });

  it('the Connect bridge gives a field-narrowed token nothing: a Connect token cannot name fields', async () => {
    const answer = await exchange({
      requested_token_type: 'urn:keyhold:params:oauth:token-type:connect',
      audience: 'Production node',
    });
    expect(answer.status).toBe(400);
    expect(await answer.json()).toMatchObject({ error: 'invalid_target' });
  });
});

describe('fields, strictly validated (RFC 9396 §5)', () => {
  const entry = (extra: Record<string, unknown>) => [
    { type: 'keyhold_vault', vaults: [production.id], items: [dbLogin.id], actions: ['read'], ...extra },
  ];
  const cases: [what: string, details: () => unknown, description: RegExp][] = [
    [
      'fields without items',
      () => [{ type: 'keyhold_vault', vaults: [production.id], fields: ['password'], actions: ['read'] }],
      /fields narrows items: name the items they are fields of in `items`/,
    ],
    [
      'fields with a write',
      () => entry({ fields: ['password'], actions: ['write'] }),
      /fields narrows a read only: its actions must be read alone \(a write answers with the whole item/,
    ],
    [
      'fields with read and write',
      () => entry({ fields: ['password'], actions: ['read', 'write'] }),
      /fields narrows a read only/,
    ],
    [
      'fields not an array',
      () => entry({ fields: 'password' }),
      /fields must be a non-empty JSON array of field ids/,
    ],
    ['an empty fields', () => entry({ fields: [] }), /fields must be a non-empty JSON array of field ids/],
    ['an empty field id', () => entry({ fields: [''] }), /a field id is a non-empty string/],
    [
      'a field id that is not a string',
      () => entry({ fields: [{ id: 'password' }] }),
      /a field id is a non-empty/,
    ],
    ['a repeated field', () => entry({ fields: ['password', 'password'] }), /names a field twice/],
    ['a field id with a line break', () => entry({ fields: ['pass\nword'] }), /control character/],
    ['a field id too long', () => entry({ fields: ['x'.repeat(257)] }), /longer than 256 characters/],
    [
      'too many fields',
      () => entry({ fields: Array.from({ length: 21 }, (_, n) => `field${n}`) }),
      /names 21 fields; at most 20/,
    ],
    [
      'fields across two vaults',
      () => [
        {
          type: 'keyhold_vault',
          vaults: [production.id, newId()],
          items: [dbLogin.id],
          fields: ['x'],
          actions: ['read'],
        },
      ],
      /items narrows one vault/,
    ],
  ];

  it.each(cases)(
    'PAR refuses %s with invalid_authorization_details, 400, saying why',
    async (_what, details, description) => {
      const response = await post('/par', {
        response_type: 'code',
        redirect_uri: redirectUri,
        code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
        code_challenge_method: 'S256',
        authorization_details: JSON.stringify(details()),
      });
      expect(response.status).toBe(400);
      const body = (await response.json()) as { error: string; error_description: string };
      expect(body.error).toBe('invalid_authorization_details');
      expect(body.error_description).toMatch(description);
      expect(body.error_description).toMatch(/^[\x20\x21\x23-\x5b\x5d-\x7e]+$/);
    },
  );
});
