import { KeyholdError } from '../../errors/keyhold-error.js';

/**
 * Errors of the OAuth endpoints, in RFC 6749's vocabulary. They are answered as
 * `{error, error_description}` (token, introspection, revocation) or as redirect parameters
 * (authorization endpoint), never in the admin API's shape, because OAuth clients parse them.
 */
export const OAUTH_ERROR_CODES = [
  'invalid_request',
  'invalid_client',
  'invalid_grant',
  'unauthorized_client',
  'unsupported_grant_type',
  'unsupported_response_type',
  'invalid_scope',
  'invalid_target',
  'access_denied',
  /** RFC 8628 §3.5, answered while a device code is polled. */
  'authorization_pending',
  'slow_down',
  'expired_token',
  /** RFC 6750 §3.1: a bearer token refused by an endpoint that takes one (grant management). */
  'invalid_token',
  /** RFC 9101 §6.2: a request object or request_uri that cannot be used. */
  'invalid_request_object',
  'invalid_request_uri',
  'request_not_supported',
  /** RFC 9449 §5 and §7.1: the DPoP proof is missing, malformed, replayed or for another key. */
  'invalid_dpop_proof',
  /** RFC 9449 §8: the proof must carry the nonce of the `DPoP-Nonce` header sent with the error. */
  'use_dpop_nonce',
  /** OAuth Grant Management draft §4.2: the grant_id is unknown, another client's or user's. */
  'invalid_grant_id',
  /** RFC 9396 §5: authorization details of an unknown type, or not as the type defines them. */
  'invalid_authorization_details',
  'server_error',
] as const;
export type OAuthErrorCode = (typeof OAUTH_ERROR_CODES)[number];

/** An RFC 6749 error: its `code` is the `error` the client receives, its message the description. */
export class OAuthError extends KeyholdError<OAuthErrorCode> {
  constructor(
    error: OAuthErrorCode,
    description: string,
    status = error === 'invalid_client' || error === 'invalid_token' ? 401 : 400,
  ) {
    super(status, error, description);
  }

  /** The RFC 6749 `error` (the same as `code`). */
  get error(): OAuthErrorCode {
    return this.code;
  }
}

export const isOAuthError = (e: unknown): e is OAuthError => e instanceof OAuthError;

export const invalidRequest = (description: string) => new OAuthError('invalid_request', description);
export const invalidClient = (description: string) => new OAuthError('invalid_client', description);
export const invalidGrant = (description: string) => new OAuthError('invalid_grant', description);
export const invalidScope = (description: string) => new OAuthError('invalid_scope', description);
export const invalidTarget = (description: string) => new OAuthError('invalid_target', description);
export const unauthorizedClient = (description: string) => new OAuthError('unauthorized_client', description);
export const accessDenied = (description: string) => new OAuthError('access_denied', description);
export const authorizationPending = (description: string) =>
  new OAuthError('authorization_pending', description);
export const slowDown = (description: string) => new OAuthError('slow_down', description);
export const expiredToken = (description: string) => new OAuthError('expired_token', description);
export const invalidToken = (description: string) => new OAuthError('invalid_token', description);
export const invalidRequestObject = (description: string) =>
  new OAuthError('invalid_request_object', description);
export const invalidRequestUri = (description: string) => new OAuthError('invalid_request_uri', description);
export const invalidDPoPProof = (description: string) => new OAuthError('invalid_dpop_proof', description);
export const useDPoPNonce = (description: string) => new OAuthError('use_dpop_nonce', description);
export const invalidAuthorizationDetails = (description: string) =>
  new OAuthError('invalid_authorization_details', description);
