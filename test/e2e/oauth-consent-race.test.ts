import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  authorizeInteractively,
  Browser,
  type ConsentOption,
  formBody,
  type OAuthFixture,
  startOAuthFixture,
} from '../helpers/oauth.js';

/**
 * Re-consent narrows a grant while its client is busy: refreshes and code redemptions in flight
 * when the user unticks a vault must not come back with it. A token endpoint call reads the
 * grant (or the refresh token narrowed with it) before it registers what it mints; a narrowing
 * committed in between must still win.
 */
let f: OAuthFixture;
let personal: { id: string };
let work: { id: string };
let member: { id: string; email: string };
let app: { clientId: string; clientSecret: string };
const REDIRECT = 'http://127.0.0.1:7777/callback';
const PASSWORD = 'member password of some length';
/** Concurrent refresh chains and pending codes per round: enough that some straddle the narrowing. */
const CHAINS = 6;
const ROUNDS = 5;

type Tokens = { access_token: string; refresh_token: string; scope: string };

beforeAll(async () => {
  f = await startOAuthFixture();
  personal = await f.admin('POST', '/vaults', { name: 'Personal' });
  work = await f.admin('POST', '/vaults', { name: 'Work' });
  member = await f.admin('POST', '/users', {
    email: 'member@example.com',
    password: PASSWORD,
    role: 'member',
  });
  for (const v of [personal, work]) {
    await f.admin('PUT', `/users/${member.id}/vaults/${v.id}`, { permissions: ['read'] });
  }
  app = await f.admin('POST', '/clients', {
    name: 'Busy app',
    redirectUris: [REDIRECT],
    scopes: ['vault:read'],
  });
}, 60_000);

afterAll(async () => {
  await f?.close();
});

const token = (form: Record<string, string>) =>
  fetch(`${f.issuer}/token`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `Basic ${Buffer.from(`${app.clientId}:${app.clientSecret}`).toString('base64')}`,
    },
    body: formBody(form),
  });

/** An authorization request in the member's browser; the code and its verifier. */
async function authorize(
  browser: Browser,
  prompt: string | undefined,
  choose: (o: ConsentOption[]) => string[],
) {
  const verifier = randomBytes(32).toString('base64url');
  const url = `${f.issuer}/authorize?${new URLSearchParams({
    response_type: 'code',
    client_id: app.clientId,
    redirect_uri: REDIRECT,
    scope: 'vault:read',
    state: 's',
    code_challenge: createHash('sha256').update(verifier).digest('base64url'),
    code_challenge_method: 'S256',
    ...(prompt ? { prompt } : {}),
  })}`;
  const callback = await authorizeInteractively(
    browser,
    url,
    { email: member.email, password: PASSWORD },
    choose,
  );
  const code = callback.searchParams.get('code') ?? '';
  return () =>
    token({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT, code_verifier: verifier });
}

const readsWork = async (accessToken: string) =>
  (
    await fetch(`${f.url}/api/v1/vaults/${work.id}/items`, {
      headers: { authorization: `Bearer ${accessToken}` },
    })
  ).status;

it('refreshes and code redemptions racing a narrowing consent never carry the unticked vault', async () => {
  const browser = new Browser();
  const both = (o: ConsentOption[]) => o.map((x) => x.scope);
  const personalOnly = (o: ConsentOption[]) => o.filter((x) => x.label === 'Personal').map((x) => x.scope);
  for (let round = 0; round < ROUNDS; round++) {
    // The grant holds both vaults again; each chain starts from its own code of it.
    await (await authorize(browser, 'consent', both))();
    const chains: Tokens[] = [];
    for (let i = 0; i < CHAINS; i++) {
      const response = await (await authorize(browser, undefined, both))();
      expect(response.status).toBe(200);
      chains.push((await response.json()) as Tokens);
    }
    const pending = await Promise.all(
      Array.from({ length: CHAINS }, () => authorize(browser, undefined, both)),
    );

    // The client refreshes every chain back to back, and redeems its pending codes, while the
    // user consents again with Work unticked.
    let narrowed = false;
    const refreshing = chains.map(async (_, i) => {
      for (let after = 0; after < 2; ) {
        if (narrowed) after++;
        const response = await token({
          grant_type: 'refresh_token',
          refresh_token: chains[i]?.refresh_token ?? '',
        });
        expect(response.status).toBe(200);
        chains[i] = (await response.json()) as Tokens;
      }
    });
    const redeemed = pending.map(async (redeem, i) => {
      await new Promise((resolve) => setTimeout(resolve, 2 * i));
      return redeem();
    });
    await new Promise((resolve) => setTimeout(resolve, 10));
    await authorize(browser, 'consent', personalOnly);
    narrowed = true;
    await Promise.all(refreshing);

    for (const chain of chains) {
      expect(chain.scope).toBe(`vault:${personal.id}:read`);
      expect(await readsWork(chain.access_token)).toBe(403);
    }
    for (const response of await Promise.all(redeemed)) {
      // Redeemed before the narrowing, a code's tokens were narrowed with the grant; after it,
      // the code yields what the grant still holds.
      expect(response.status).toBe(200);
      const tokens = (await response.json()) as Tokens;
      expect(await readsWork(tokens.access_token)).toBe(403);
    }
  }
}, 120_000);
