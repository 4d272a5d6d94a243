import { AUTHORIZATION_DETAILS_TYPES } from '../../domain/oauth/authorization-details.js';
import type { Catalog } from '../../domain/oauth/catalog.js';
import { DPOP_ALGS } from '../../domain/oauth/dpop-proof.js';
import { GRANT_MANAGEMENT_ACTIONS } from '../../domain/oauth/grant-management-action.js';
import { REQUEST_OBJECT_ALGORITHMS } from '../../domain/oauth/request-object.js';
import { DEVICE_CODE_GRANT, GRANT_TYPES } from '../../storage/ports.js';
import { openidProviderMetadata } from './oidc-metadata.js';

/**
 * RFC 8414 metadata of one account's authorization server. `scopes_supported` lists the catalog's
 * common scopes (what a client registered without scopes may ask for): not the exclusive ones,
 * which only the clients registered for them may ask for, nor the patterns (`vault:*:read`), whose
 * instances name vaults.
 */
export function authorizationServerMetadata(
  issuer: string,
  catalog: Catalog,
  policy: { requirePushedRequests: boolean },
) {
  return {
    issuer,
    authorization_endpoint: `${issuer}/authorize`,
    token_endpoint: `${issuer}/token`,
    introspection_endpoint: `${issuer}/introspect`,
    revocation_endpoint: `${issuer}/revoke`,
    device_authorization_endpoint: `${issuer}/device_authorization`,
    pushed_authorization_request_endpoint: `${issuer}/par`,
    require_pushed_authorization_requests: policy.requirePushedRequests,
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
    // RFC 9101 request objects, accepted through the PAR endpoint only.
    request_object_signing_alg_values_supported: REQUEST_OBJECT_ALGORITHMS,
    // RFC 9701: introspection answers a signed JWT when asked for one.
    introspection_signing_alg_values_supported: ['ES256'],
    authorization_response_iss_parameter_supported: true,
    // Grant management (grant-management.ts, grant-management-action.ts).
    grant_management_endpoint: `${issuer}/grant-management`,
    grant_management_actions_supported: [...GRANT_MANAGEMENT_ACTIONS],
    grant_management_action_required: false,
    dpop_signing_alg_values_supported: [...DPOP_ALGS],
    // RFC 9396 §10 (authorization-details.ts).
    authorization_details_types_supported: [...AUTHORIZATION_DETAILS_TYPES],
    ...openidProviderMetadata(issuer),
  };
}
