import * as openid from 'openid-client';

/**
 * openid-client configured for a confidential client that authenticates with HTTP Basic, from
 * the issuer's OAuth discovery document (RFC 8414), plain HTTP allowed: the test service listens
 * on loopback.
 */
export function discoverClient(
  issuer: string,
  client: { clientId: string; clientSecret: string },
  redirectUri: string,
): Promise<openid.Configuration> {
  return openid.discovery(
    new URL(issuer),
    client.clientId,
    { redirect_uris: [redirectUri] },
    openid.ClientSecretBasic(client.clientSecret),
    { algorithm: 'oauth2', execute: [openid.allowInsecureRequests] },
  );
}
