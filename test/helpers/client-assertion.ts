import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { newId } from '../../src/crypto/ids.js';
import { JWT_BEARER_ASSERTION } from '../../src/domain/oauth/client-auth.js';
import type { ClientRecord, Stores } from '../../src/storage/ports.js';

export const ASSERTION_AUDIENCE = 'https://keyhold.example.com/oauth/acc';

/**
 * A `private_key_jwt` client of `accountId` inserted through `stores`, and a signer of its
 * client assertions (RFC 7523), each with a fresh `jti` unless one is given.
 */
export async function privateKeyJwtClient(stores: Pick<Stores, 'clients'>, accountId: string) {
  const { privateKey, publicKey } = await generateKeyPair('ES256');
  const client: ClientRecord = {
    id: `kc-${newId()}`,
    accountId,
    name: 'signed',
    authMethod: 'private_key_jwt',
    secretHash: null,
    jwks: JSON.stringify({ keys: [{ ...(await exportJWK(publicKey)), alg: 'ES256' }] }),
    redirectUris: [],
    grantTypes: ['client_credentials'],
    scopes: [],
    createdAt: new Date().toISOString(),
    dpopBoundAccessTokens: false,
    requirePushedRequests: false,
    fapi2SecurityProfile: false,
  };
  await stores.clients.insert(client);
  const assertion = (jti = newId()) =>
    new SignJWT({})
      .setProtectedHeader({ alg: 'ES256' })
      .setIssuer(client.id)
      .setSubject(client.id)
      .setAudience(ASSERTION_AUDIENCE)
      .setIssuedAt()
      .setExpirationTime('2m')
      .setJti(jti)
      .sign(privateKey);
  /** The credentials of a token request presenting `assertion`. */
  const credentials = (assertion: string) => ({
    authorization: undefined,
    form: new URLSearchParams({
      client_id: client.id,
      client_assertion_type: JWT_BEARER_ASSERTION,
      client_assertion: assertion,
    }),
  });
  return { client, assertion, credentials };
}
