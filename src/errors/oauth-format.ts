import { OAuthError, type OAuthErrorCode } from '../domain/oauth/oauth-error.js';
import type { KeyholdError } from './keyhold-error.js';
import { type Formatter, shownMessage } from './wire.js';

/** RFC 6749 §5.2's error body. */
export interface OAuthErrorBody {
  error: OAuthErrorCode;
  error_description: string;
}

/**
 * An error in RFC 6749's vocabulary. An OAuthError says its own; anything else (a body the
 * endpoint cannot parse, an unknown account, a fault) is `invalid_request`, `invalid_client` for
 * a 401 (the only 401 RFC 6749 knows) or `server_error`.
 */
function oauthCode(error: KeyholdError): OAuthErrorCode {
  if (error instanceof OAuthError) return error.code;
  if (error.status >= 500) return 'server_error';
  return error.status === 401 ? 'invalid_client' : 'invalid_request';
}

/** The back-channel endpoints: token, introspection, revocation, metadata, JWKS. */
export const oauthFormat: Formatter<OAuthErrorBody> = (error) => ({
  status: error.status,
  // RFC 6749 §5.2: a 401 names the authentication scheme the client should use; RFC 6750 §3 for a
  // refused bearer token.
  ...(error.status === 401 ? { headers: { 'www-authenticate': challenge(error) } } : {}),
  body: { error: oauthCode(error), error_description: shownMessage(error) },
});

const challenge = (error: KeyholdError) =>
  error instanceof OAuthError && error.code === 'invalid_token'
    ? 'Bearer realm="keyhold", error="invalid_token"'
    : 'Basic realm="keyhold"';
