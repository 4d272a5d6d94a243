import type { ClientRecord, OAuthTokenRecord } from '../../storage/ports.js';
import { requiresDpop } from './client-profile.js';
import type { CallFacts, OAuthDeps } from './context.js';
import { invalidDPoPProof, invalidGrant } from './oauth-error.js';

/**
 * The key a token request binds its tokens to (RFC 9449 §5): the thumbprint of its DPoP proof's
 * key, or null for bearer tokens. The proof is checked before the client authenticates, so a
 * client told `use_dpop_nonce` retries without having spent a one-time client assertion; its
 * nonce is always required here (every token response carries a fresh `DPoP-Nonce`).
 */
export async function tokenRequestKey(
  deps: Pick<OAuthDeps, 'dpop'>,
  accountId: string,
  facts: Pick<CallFacts, 'dpop' | 'endpointUrl'>,
): Promise<string | null> {
  if (facts.dpop === undefined) return null;
  return deps.dpop.verify({
    proof: facts.dpop,
    method: 'POST',
    url: facts.endpointUrl,
    accountId,
    requireNonce: true,
  });
}

/**
 * A client registered with `dpop_bound_access_tokens` (or the FAPI 2.0 profile, which requires
 * sender-constrained tokens) gets no token without a proof (§5.2).
 */
export function requireKeyWhereRegistered(client: ClientRecord, jkt: string | null): void {
  if (requiresDpop(client) && jkt === null) {
    throw invalidDPoPProof(`client ${client.id} is registered for DPoP-bound tokens only: send a DPoP proof`);
  }
}

/**
 * A bound refresh token (a public client's, §5) is redeemed only with a proof signed by the key
 * it is bound to; it is then bound to that key again.
 */
export function requireSameKey(record: Pick<OAuthTokenRecord, 'jkt'>, jkt: string | null): void {
  if (record.jkt === null) return;
  if (jkt === null) {
    throw invalidDPoPProof('the refresh token is DPoP-bound: send a DPoP proof signed by its key');
  }
  if (jkt !== record.jkt) {
    throw invalidGrant('the refresh token is bound to another DPoP key than the one that signed this proof');
  }
}
