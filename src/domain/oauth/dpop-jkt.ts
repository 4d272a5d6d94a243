import type { AuthorizationCodeRecord } from '../../storage/ports.js';
import type { CallFacts, OAuthDeps } from './context.js';
import { tokenRequestKey } from './dpop-binding.js';
import { invalidDPoPProof, invalidGrant, invalidRequest, type OAuthError } from './oauth-error.js';

/** An RFC 7638 SHA-256 thumbprint, base64url without padding. */
const THUMBPRINT = /^[A-Za-z0-9_-]{43}$/;

/**
 * RFC 9449 §10: `dpop_jkt` in an authorization request binds the code it yields to that DPoP
 * key. Null when absent; an error when repeated or not a thumbprint.
 */
export function readDpopJkt(query: URLSearchParams): string | null | OAuthError {
  const values = query.getAll('dpop_jkt');
  if (values.length === 0) return null;
  if (values.length > 1) return invalidRequest('parameter dpop_jkt is repeated');
  const value = values[0] as string;
  if (!THUMBPRINT.test(value)) {
    return invalidRequest('dpop_jkt must be the base64url SHA-256 JWK thumbprint of the DPoP key (RFC 7638)');
  }
  return value;
}

/**
 * RFC 9449 §10.1: a pushed request sent with a DPoP proof binds its code to the proof's key. The
 * proof is checked as at the token endpoint (its `htu` is the PAR endpoint); a `dpop_jkt` sent with
 * it must name the same key. Returns the parameters with `dpop_jkt` set to that key.
 */
export async function bindPushedRequest(
  deps: Pick<OAuthDeps, 'dpop'>,
  accountId: string,
  facts: Pick<CallFacts, 'dpop' | 'endpointUrl'>,
  parameters: URLSearchParams,
): Promise<URLSearchParams> {
  const jkt = await tokenRequestKey(deps, accountId, facts);
  if (jkt === null) return parameters;
  const named = parameters.getAll('dpop_jkt');
  if (named.length > 0 && (named.length > 1 || named[0] !== jkt)) {
    throw invalidDPoPProof('dpop_jkt names another key than the one that signed the DPoP proof');
  }
  const bound = new URLSearchParams(parameters);
  bound.set('dpop_jkt', jkt);
  return bound;
}

/**
 * A code bound to a DPoP key is redeemed only with a proof signed by that key (RFC 9449 §10):
 * without a proof the request is refused as `invalid_dpop_proof`, with another key's as
 * `invalid_grant` (the code is not this key's).
 */
export function requireCodeKey(record: Pick<AuthorizationCodeRecord, 'dpopJkt'>, jkt: string | null): void {
  if (record.dpopJkt === undefined) return;
  if (jkt === null) {
    throw invalidDPoPProof('the code is bound to a DPoP key (dpop_jkt): send a DPoP proof signed by it');
  }
  if (jkt !== record.dpopJkt) {
    throw invalidGrant('the code is bound to another DPoP key than the one that signed this proof');
  }
}
