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
  /** RFC 9449 §5 and §7.1: the DPoP proof is missing, malformed, replayed or for another key. */
  'invalid_dpop_proof',
  /** RFC 9449 §8: the proof must carry the nonce of the `DPoP-Nonce` header sent with the error. */
  'use_dpop_nonce',
  'server_error',
] as const;
export type OAuthErrorCode = (typeof OAUTH_ERROR_CODES)[number];

/** An RFC 6749 error: its `code` is the `error` the client receives, its message the description. */
export class OAuthError extends KeyholdError<OAuthErrorCode> {
  constructor(error: OAuthErrorCode, description: string, status = error === 'invalid_client' ? 401 : 400) {
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
export const invalidDPoPProof = (description: string) => new OAuthError('invalid_dpop_proof', description);
export const useDPoPNonce = (description: string) => new OAuthError('use_dpop_nonce', description);
