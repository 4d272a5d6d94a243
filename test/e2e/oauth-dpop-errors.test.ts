import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { type CryptoKey, exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  authorizeInteractively,
  Browser,
  formBody,
  type OAuthFixture,
  startOAuthFixture,
} from '../helpers/oauth.js';

/**
 * RFC 9449's checks, black-box: proofs made by hand (jose), each wrong in one way, at the token
 * endpoint and at the vault API, over real HTTP. Each answer is asserted exactly: the error, its
 * words, and the header a client acts on.
 */
let f: OAuthFixture;
let tokenUrl: string;
let machine: { clientId: string; clientSecret: string };
let vault: { id: string };

type Key = { privateKey: CryptoKey; jwk: JWK };
const newKey = async (alg = 'ES256'): Promise<Key> => {
  const pair = await generateKeyPair(alg, { extractable: true });
  return { privateKey: pair.privateKey, jwk: await exportJWK(pair.publicKey) };
};

interface ProofOptions {
  htm?: string;
  htu?: string;
  iat?: number;
  jti?: string;
  nonce?: string;
  ath?: string;
  alg?: string;
  typ?: string;
  jwk?: JWK;
  omit?: string[];
}

/** A DPoP proof by `key` with the claims given (defaults: a good proof for the token endpoint). */
async function proof(key: Key, o: ProofOptions = {}): Promise<string> {
  const claims: Record<string, unknown> = {
    htm: o.htm ?? 'POST',
    htu: o.htu ?? tokenUrl,
    iat: o.iat ?? Math.floor(Date.now() / 1000),
    jti: o.jti ?? randomUUID(),
    ...(o.nonce === undefined ? {} : { nonce: o.nonce }),
    ...(o.ath === undefined ? {} : { ath: o.ath }),
  };
  for (const name of o.omit ?? []) delete claims[name];
  return new SignJWT(claims)
    .setProtectedHeader({ alg: o.alg ?? 'ES256', typ: o.typ ?? 'dpop+jwt', jwk: o.jwk ?? key.jwk })
    .sign(key.privateKey);
}

const basic = (c: { clientId: string; clientSecret: string }) =>
  `Basic ${Buffer.from(`${c.clientId}:${c.clientSecret}`).toString('base64')}`;

/** A client credentials request with the DPoP header(s) given. */
const tokenRequest = (dpop: string | string[] | undefined) => {
  const headers = new Headers({
    'content-type': 'application/x-www-form-urlencoded',
    authorization: basic(machine),
  });
  for (const value of dpop === undefined ? [] : Array.isArray(dpop) ? dpop : [dpop])
    headers.append('dpop', value);
  return fetch(tokenUrl, { method: 'POST', headers, body: formBody({ grant_type: 'client_credentials' }) });
};

/** The current server nonce, from any token endpoint answer. */
const currentNonce = async () => (await tokenRequest(undefined)).headers.get('dpop-nonce') ?? '';

const refused = async (response: Response, error: string, description: string) => {
  expect(response.status).toBe(400);
  expect(await response.json()).toEqual({ error, error_description: description });
};

beforeAll(async () => {
  f = await startOAuthFixture();
  tokenUrl = `${f.issuer}/token`;
  await f.admin('POST', '/resource-servers', {
    identifier: 'https://reports.example.com',
    name: 'Reports',
    scopes: [{ name: 'reports:read', description: 'Read reports' }],
  });
  machine = await f.admin('POST', '/clients', {
    name: 'cron',
    redirectUris: [],
    scopes: ['reports:read'],
    grantTypes: ['client_credentials'],
  });
  vault = await f.admin('POST', '/vaults', { name: 'Personal' });
  const users = await f.admin<{ id: string; email: string }[]>('GET', '/users');
  const owner = users.find((u) => u.email === f.ownerEmail);
  await f.admin('PUT', `/users/${owner?.id}/vaults/${vault.id}`, { permissions: ['read'] });
}, 60_000);

afterAll(async () => {
  await f?.close();
});

describe('the token endpoint', () => {
  it('asks for its nonce (use_dpop_nonce with a DPoP-Nonce header), then issues a DPoP token', async () => {
    const key = await newKey();
    const first = await tokenRequest(await proof(key));
    const nonce = first.headers.get('dpop-nonce');
    expect(nonce).toMatch(/^[A-Za-z0-9_-]{22}$/);
    await refused(
      first,
      'use_dpop_nonce',
      'the authorization server requires a nonce in the DPoP proof: use the DPoP-Nonce header',
    );
    const second = await tokenRequest(await proof(key, { nonce: nonce ?? '' }));
    expect(second.status).toBe(200);
    expect(second.headers.get('dpop-nonce')).toBe(nonce);
    expect(await second.json()).toMatchObject({ token_type: 'DPoP', scope: 'reports:read' });

    const unknown = await tokenRequest(await proof(key, { nonce: randomBytes(16).toString('base64url') }));
    await refused(
      unknown,
      'use_dpop_nonce',
      'the DPoP proof’s nonce is unknown or expired: use the DPoP-Nonce header of this answer',
    );
  });

  it('refuses a replayed proof', async () => {
    const key = await newKey();
    const once = await proof(key, { nonce: await currentNonce() });
    expect((await tokenRequest(once)).status).toBe(200);
    await refused(
      await tokenRequest(once),
      'invalid_dpop_proof',
      'the DPoP proof was already used: make a new proof for every request',
    );
  });

  it('refuses a proof for another URL or method, and ignores the query and fragment of htu', async () => {
    const key = await newKey();
    const nonce = await currentNonce();
    await refused(
      await tokenRequest(await proof(key, { nonce, htu: `${f.issuer}/introspect` })),
      'invalid_dpop_proof',
      `the DPoP proof’s htu must be ${tokenUrl}, the URL of this request`,
    );
    await refused(
      await tokenRequest(await proof(key, { nonce, htm: 'GET' })),
      'invalid_dpop_proof',
      'the DPoP proof’s htm must be POST, the method of this request',
    );
    const withQuery = await tokenRequest(await proof(key, { nonce, htu: `${tokenUrl}?x=1#y` }));
    expect(withQuery.status).toBe(200);
  });

  it('refuses a stale proof and one from the future', async () => {
    const key = await newKey();
    const nonce = await currentNonce();
    const now = Math.floor(Date.now() / 1000);
    for (const iat of [now - 301, now + 120]) {
      await refused(
        await tokenRequest(await proof(key, { nonce, iat })),
        'invalid_dpop_proof',
        'the DPoP proof’s iat is not within 300 s before and 60 s after the server’s time: make a new proof (and check the clock)',
      );
    }
  });

  it('refuses a private key in the jwk header, alg none, a symmetric alg, the wrong typ, a bad signature', async () => {
    const key = await newKey();
    const nonce = await currentNonce();
    const privateJwk = await exportJWK(key.privateKey);
    await refused(
      await tokenRequest(await proof(key, { nonce, jwk: privateJwk })),
      'invalid_dpop_proof',
      'the DPoP proof’s jwk holds private key material: give the public key only',
    );
    const unsigned = [
      Buffer.from(JSON.stringify({ alg: 'none', typ: 'dpop+jwt', jwk: key.jwk })).toString('base64url'),
      Buffer.from(
        JSON.stringify({
          htm: 'POST',
          htu: tokenUrl,
          iat: Math.floor(Date.now() / 1000),
          jti: randomUUID(),
          nonce,
        }),
      ).toString('base64url'),
      '',
    ].join('.');
    await refused(
      await tokenRequest(unsigned),
      'invalid_dpop_proof',
      'the DPoP header is not a JWT (a compact JWS)',
    );
    const noneSigned = `${unsigned}${Buffer.from('x').toString('base64url')}`;
    await refused(
      await tokenRequest(noneSigned),
      'invalid_dpop_proof',
      'the DPoP proof’s alg must be one of ES256, EdDSA, Ed25519, RS256, PS256',
    );
    const hmac = await new SignJWT({
      htm: 'POST',
      htu: tokenUrl,
      iat: Math.floor(Date.now() / 1000),
      jti: 'h',
    })
      .setProtectedHeader({ alg: 'HS256', typ: 'dpop+jwt', jwk: key.jwk })
      .sign(randomBytes(32));
    await refused(
      await tokenRequest(hmac),
      'invalid_dpop_proof',
      'the DPoP proof’s alg must be one of ES256, EdDSA, Ed25519, RS256, PS256',
    );
    await refused(
      await tokenRequest(await proof(key, { nonce, typ: 'JWT' })),
      'invalid_dpop_proof',
      'the DPoP proof’s typ must be dpop+jwt',
    );
    const other = await newKey();
    await refused(
      await tokenRequest(await proof(other, { nonce, jwk: key.jwk })),
      'invalid_dpop_proof',
      'the DPoP proof’s signature does not verify with the key in its jwk header',
    );
  });

  it('refuses two DPoP headers, a proof without jti, and anything that is not a JWT', async () => {
    const key = await newKey();
    const nonce = await currentNonce();
    await refused(
      await tokenRequest([await proof(key, { nonce }), await proof(key, { nonce })]),
      'invalid_dpop_proof',
      'send exactly one DPoP header',
    );
    await refused(
      await tokenRequest(await proof(key, { nonce, omit: ['jti'] })),
      'invalid_dpop_proof',
      'the DPoP proof needs a jti of 1 to 256 characters',
    );
    await refused(
      await tokenRequest('not a proof'),
      'invalid_dpop_proof',
      'the DPoP header is not a JWT (a compact JWS)',
    );
  });
});

describe('the vault API', () => {
  const itemsUrl = () => `${f.url}/api/v1/vaults/${vault.id}/items`;
  const ath = (token: string) => createHash('sha256').update(token).digest('base64url');

  /** A user's DPoP-bound tokens for the vault API, from the code flow with a public client. */
  async function boundTokens(key: Key) {
    const redirectUri = 'http://127.0.0.1:9996/callback';
    const app = await f.admin<{ clientId: string }>('POST', '/clients', {
      name: 'Desktop app',
      redirectUris: [redirectUri],
      scopes: ['vault:read'],
      public: true,
    });
    const verifier = randomBytes(32).toString('base64url');
    const callback = await authorizeInteractively(
      new Browser(),
      `${f.issuer}/authorize?${new URLSearchParams({
        response_type: 'code',
        client_id: app.clientId,
        redirect_uri: redirectUri,
        scope: `vault:${vault.id}:read`,
        code_challenge: createHash('sha256').update(verifier).digest('base64url'),
        code_challenge_method: 'S256',
      })}`,
      { email: f.ownerEmail, password: f.ownerPassword },
    );
    const response = await fetch(tokenUrl, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        dpop: await proof(key, { nonce: await currentNonce() }),
      },
      body: formBody({
        grant_type: 'authorization_code',
        client_id: app.clientId,
        code: callback.searchParams.get('code') ?? '',
        redirect_uri: redirectUri,
        code_verifier: verifier,
      }),
    });
    expect(response.status).toBe(200);
    const tokens = (await response.json()) as {
      access_token: string;
      refresh_token: string;
      token_type: string;
    };
    return { ...tokens, clientId: app.clientId };
  }

  const read = (token: string, dpop?: string, scheme = 'DPoP') =>
    fetch(itemsUrl(), {
      headers: { authorization: `${scheme} ${token}`, ...(dpop === undefined ? {} : { dpop }) },
    });

  const challenged = async (response: Response, error: string, description: string) => {
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe(
      `DPoP error="${error}", error_description="${description.replace(/’/g, "'")}", algs="ES256 EdDSA Ed25519 RS256 PS256"`,
    );
    expect(await response.json()).toEqual({ status: 401, message: description });
  };

  it('honours a proof of this request with ath, once; refuses every proof wrong in one way', async () => {
    const key = await newKey();
    const tokens = await boundTokens(key);
    expect(tokens.token_type).toBe('DPoP');
    const good = { htm: 'GET', htu: itemsUrl(), ath: ath(tokens.access_token) };
    const once = await proof(key, good);
    expect((await read(tokens.access_token, once)).status).toBe(200);
    await challenged(
      await read(tokens.access_token, once),
      'invalid_dpop_proof',
      'the DPoP proof was already used: make a new proof for every request',
    );
    await challenged(
      await read(tokens.access_token, await proof(key, { ...good, omit: ['ath'] })),
      'invalid_dpop_proof',
      'the DPoP proof has no ath: give the access token’s SHA-256 hash, base64url-encoded',
    );
    await challenged(
      await read(tokens.access_token, await proof(key, { ...good, ath: ath(tokens.refresh_token) })),
      'invalid_dpop_proof',
      'the DPoP proof’s ath is not the hash of the access token presented',
    );
    await challenged(
      await read(tokens.access_token, await proof(key, { ...good, htu: `${f.url}/api/v1/vaults` })),
      'invalid_dpop_proof',
      `the DPoP proof’s htu must be ${itemsUrl()}, the URL of this request`,
    );
    await challenged(
      await read(tokens.access_token, await proof(key, { ...good, htm: 'POST' })),
      'invalid_dpop_proof',
      'the DPoP proof’s htm must be GET, the method of this request',
    );
    await challenged(
      await read(tokens.access_token, await proof(await newKey(), good)),
      'invalid_dpop_proof',
      'the DPoP proof is signed by another key than the one the access token is bound to',
    );
    await challenged(
      await read(tokens.access_token),
      'invalid_dpop_proof',
      'send a DPoP proof of this request in the DPoP header',
    );
    await challenged(
      await read(tokens.access_token, await proof(key, good), 'Bearer'),
      'invalid_token',
      'the access token is DPoP-bound: send it as `Authorization: DPoP <token>` with a DPoP proof',
    );
    // The query is not part of htu; a proof for the path still holds.
    const withQuery = await fetch(`${itemsUrl()}?filter=${encodeURIComponent('title eq "x"')}`, {
      headers: { authorization: `DPoP ${tokens.access_token}`, dpop: await proof(key, good) },
    });
    expect(withQuery.status).toBe(200);
  });

  it('refreshes a bound refresh token only with a proof by its key', async () => {
    const key = await newKey();
    const tokens = await boundTokens(key);
    const nonce = await currentNonce();
    const other = await newKey();
    const form = {
      grant_type: 'refresh_token',
      refresh_token: tokens.refresh_token,
      client_id: tokens.clientId,
    };
    const post = (dpop: string | undefined) =>
      fetch(tokenUrl, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          ...(dpop === undefined ? {} : { dpop }),
        },
        body: formBody(form),
      });
    await refused(
      await post(undefined),
      'invalid_dpop_proof',
      'the refresh token is DPoP-bound: send a DPoP proof signed by its key',
    );
    await refused(
      await post(await proof(other, { nonce })),
      'invalid_grant',
      'the refresh token is bound to another DPoP key than the one that signed this proof',
    );
    const renewed = await post(await proof(key, { nonce }));
    expect(renewed.status).toBe(200);
    expect(await renewed.json()).toMatchObject({ token_type: 'DPoP' });
  });
});
