import { decodeProtectedHeader, generateKeyPair, jwtVerify } from 'jose';
import { describe, expect, it } from 'vitest';
import { signES256 } from '../../../src/domain/oauth/es256-jwt.js';

describe('signES256', () => {
  it('makes a JWS that jose verifies with the public key, with the header and claims given', async () => {
    const { privateKey, publicKey } = await generateKeyPair('ES256');
    const claims = {
      client_id: 'kc-1',
      scope: 'a b',
      iss: 'https://as',
      sub: 'kc-1',
      aud: 'https://rs',
      iat: 1,
      exp: 4_000_000_000,
      jti: 'j',
    };
    // Twice with the same key: the second signature comes from the kept KeyObject.
    for (let i = 0; i < 2; i++) {
      const jwt = signES256({ kid: 'k1', typ: 'at+jwt' }, claims, privateKey);
      expect(decodeProtectedHeader(jwt)).toEqual({ alg: 'ES256', kid: 'k1', typ: 'at+jwt' });
      const { payload } = await jwtVerify(jwt, publicKey, { algorithms: ['ES256'], typ: 'at+jwt' });
      expect(payload).toEqual(claims);
    }
  });

  it('is refused under another key, and when its payload is altered', async () => {
    const { privateKey, publicKey } = await generateKeyPair('ES256');
    const other = await generateKeyPair('ES256');
    const jwt = signES256({ kid: 'k1' }, { sub: 'x', exp: 4_000_000_000 }, privateKey);
    await expect(jwtVerify(jwt, other.publicKey)).rejects.toThrow();
    const [h, , s] = jwt.split('.');
    const forged = `${h}.${Buffer.from(JSON.stringify({ sub: 'y', exp: 4_000_000_000 })).toString('base64url')}.${s}`;
    await expect(jwtVerify(jwt, publicKey)).resolves.toBeDefined();
    await expect(jwtVerify(forged, publicKey)).rejects.toThrow();
  });
});
