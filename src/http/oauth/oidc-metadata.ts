import { ACR_MFA, ACR_PASSWORD } from '../../domain/oauth/id-token.js';
import { PROMPT_VALUES } from '../../domain/oauth/oidc-request.js';
import { CLAIMS_SUPPORTED } from '../../domain/oauth/oidc-scopes.js';

/**
 * What OpenID Connect Discovery 1.0 §3 adds to the authorization server's metadata. One document
 * answers both discovery paths (RFC 8414 §5 says an OpenID provider's metadata is the same
 * document). Features left out are said to be left out: `request_uri_parameter_supported`
 * defaults to true in Discovery, so it is stated false.
 */
export function openidProviderMetadata(issuer: string) {
  return {
    userinfo_endpoint: `${issuer}/userinfo`,
    end_session_endpoint: `${issuer}/end_session`,
    subject_types_supported: ['public'],
    id_token_signing_alg_values_supported: ['ES256'],
    claims_supported: [...CLAIMS_SUPPORTED],
    claim_types_supported: ['normal'],
    claims_parameter_supported: false,
    request_parameter_supported: false,
    request_uri_parameter_supported: false,
    acr_values_supported: [ACR_PASSWORD, ACR_MFA],
    prompt_values_supported: [...PROMPT_VALUES],
  };
}
