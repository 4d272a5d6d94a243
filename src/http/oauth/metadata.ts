import type { Catalog } from '../../domain/oauth/catalog.js';
import { DEVICE_CODE_GRANT, GRANT_TYPES } from '../../storage/ports.js';
import { openidProviderMetadata } from './oidc-metadata.js';

/**
 * RFC 8414 metadata of one account's authorization server. `scopes_supported` lists the catalog's
 * common scopes (what a client registered without scopes may ask for): not the exclusive ones,
 * which only the clients registered for them may ask for, nor the patterns (`vault:*:read`), whose
 * instances name vaults.
 */
export function authorizationServerMetadata(issuer: string, catalog: Catalog) {
  return {
    issuer,
    authorization_endpoint: `${issuer}/authorize`,
    token_endpoint: `${issuer}/token`,
    introspection_endpoint: `${issuer}/introspect`,
    revocation_endpoint: `${issuer}/revoke`,
    device_authorization_endpoint: `${issuer}/device_authorization`,
    jwks_uri: `${issuer}/jwks.json`,
    scopes_supported: catalog.scopes.filter((s) => !s.exclusive && !s.name.includes('*')).map((s) => s.name),
    response_types_supported: ['code'],
    response_modes_supported: ['query'],
    grant_types_supported: [...GRANT_TYPES, DEVICE_CODE_GRANT],
    code_challenge_methods_supported: ['S256'],
    token_endpoint_auth_methods_supported: [
      'client_secret_basic',
      'client_secret_post',
      'private_key_jwt',
      'none',
    ],
    token_endpoint_auth_signing_alg_values_supported: ['ES256', 'RS256', 'PS256'],
    introspection_endpoint_auth_methods_supported: [
      'client_secret_basic',
      'client_secret_post',
      'private_key_jwt',
    ],
    revocation_endpoint_auth_methods_supported: [
      'client_secret_basic',
      'client_secret_post',
      'private_key_jwt',
      'none',
    ],
    authorization_response_iss_parameter_supported: true,
    ...openidProviderMetadata(issuer),
  };
}
