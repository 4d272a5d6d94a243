import * as client from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authorizeInteractively, Browser, type OAuthFixture, startOAuthFixture } from '../helpers/oauth.js';

/**
 * The OpenID Connect `name` claim (Core §5.1), read by an independent relying party,
 * openid-client v6: with `profile` granted, the ID token and userinfo carry the user's display
 * name when they have one, and leave the claim out when they have none or `profile` was not
 * granted (Core §5.3.2: no claim rather than an empty one). The consent page says what
 * `profile` shares.
 */
let f: OAuthFixture;
let config: client.Configuration;
let ownerId: string;
const redirectUri = 'https://rp.example.com/cb';

beforeAll(async () => {
  f = await startOAuthFixture();
  const rp = await f.admin<{ clientId: string; clientSecret: string }>('POST', '/clients', {
    name: 'Relying party',
    redirectUris: [redirectUri],
    scopes: ['openid', 'profile', 'email'],
    grantTypes: ['authorization_code'],
  });
  const users = await f.admin<{ id: string; email: string }[]>('GET', '/users');
  ownerId = users.find((u) => u.email === f.ownerEmail)?.id ?? '';
  config = await client.discovery(new URL(f.issuer), rp.clientId, rp.clientSecret, undefined, {
    execute: [client.allowInsecureRequests],
  });
}, 60_000);

afterAll(async () => {
  await f?.close();
});

/** A browser that keeps the pages it was shown. */
class RecordingBrowser extends Browser {
  readonly pages: string[] = [];
  override async fetch(...args: Parameters<Browser['fetch']>): Promise<Response> {
    const response = await super.fetch(...args);
    if (response.status === 200) this.pages.push(await response.clone().text());
    return response;
  }
}

/** A whole sign-in for `scope`, and the consent page the user was shown. */
async function signIn(scope: string) {
  const verifier = client.randomPKCECodeVerifier();
  const nonce = client.randomNonce();
  const state = client.randomState();
  const url = client.buildAuthorizationUrl(config, {
    redirect_uri: redirectUri,
    scope,
    code_challenge: await client.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    nonce,
    state,
    prompt: 'consent',
  });
  const browser = new RecordingBrowser();
  const callback = await authorizeInteractively(browser, url.toString(), {
    email: f.ownerEmail,
    password: f.ownerPassword,
  });
  const tokens = await client.authorizationCodeGrant(config, callback, {
    pkceCodeVerifier: verifier,
    expectedNonce: nonce,
    expectedState: state,
    idTokenExpected: true,
  });
  const claims = tokens.claims();
  if (!claims) throw new Error('no ID token');
  const userinfo = await client.fetchUserInfo(config, tokens.access_token, claims.sub);
  const consent = browser.pages.find((page) => page.includes('name="scope"')) ?? '';
  return { claims, userinfo, consent };
}

describe('the name claim', () => {
  it('is in the ID token and userinfo with profile, once the user has a name', async () => {
    await f.admin('PUT', `/users/${ownerId}/name`, { name: 'Olive Owner' });
    const { claims, userinfo, consent } = await signIn('openid profile');
    expect(claims).toMatchObject({ sub: ownerId, name: 'Olive Owner', preferred_username: f.ownerEmail });
    expect(userinfo).toEqual({
      sub: ownerId,
      name: 'Olive Owner',
      preferred_username: f.ownerEmail,
      updated_at: expect.any(Number),
    });
    // The consent page says what profile shares, the name among it.
    expect(consent).toContain(
      '<legend><code>profile</code></legend>\n<p>Read your profile: your display name when you have one, the email address you sign in with, and when your user record last changed</p>',
    );
  });

  it('is left out without profile', async () => {
    const { claims, userinfo } = await signIn('openid email');
    expect(claims.name).toBeUndefined();
    expect(claims.email).toBe(f.ownerEmail);
    expect(userinfo).toEqual({ sub: ownerId, email: f.ownerEmail, email_verified: false });
  });

  it('is left out, not sent empty, once the name is removed', async () => {
    await f.admin('PUT', `/users/${ownerId}/name`, { name: null });
    const { claims, userinfo } = await signIn('openid profile');
    expect('name' in claims).toBe(false);
    expect(claims.preferred_username).toBe(f.ownerEmail);
    expect(Object.keys(userinfo).sort()).toEqual(['preferred_username', 'sub', 'updated_at']);
  });

  it('is listed in claims_supported', () => {
    expect(config.serverMetadata().claims_supported).toContain('name');
  });
});
