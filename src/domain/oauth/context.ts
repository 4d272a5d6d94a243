import type { Storage } from '../../storage/ports.js';
import { nobody } from '../access/principals.js';
import type { SigningKeys } from '../connect/signing-keys.js';
import type { RequestContext } from '../context.js';
import type { CatalogCache } from './catalog.js';
import type { ClientAuthenticator } from './client-auth.js';
import type { DPoPProofs } from './dpop-proof.js';

/** What every authorization-server operation needs. */
export interface OAuthDeps {
  storage: Storage;
  keys: SigningKeys;
  clientAuth: ClientAuthenticator;
  catalogs: CatalogCache;
  /** DPoP proofs (RFC 9449) and the server's nonces. */
  dpop: DPoPProofs;
  /** The issuer identifier of an account's authorization server (exact, no trailing slash). */
  issuer(accountId: string): string;
}

/** Request facts of a back-channel call, for audit events. */
export interface CallFacts {
  requestId: string | null;
  ip: string | null;
  userAgent: string | null;
  authorization: string | undefined;
  form: URLSearchParams;
  /** The endpoint's own URL, an accepted `aud` of client assertions besides the issuer. */
  endpointUrl: string;
  /** The `DPoP` header (RFC 9449), as received; several are joined by commas. */
  dpop?: string | undefined;
}

/** The context of a client acting at the token endpoint (for itself or a user). */
export function clientContext(
  accountId: string,
  clientId: string,
  facts: Pick<CallFacts, 'requestId' | 'ip' | 'userAgent'>,
): RequestContext {
  return {
    actor: { type: 'oauth_client', id: clientId, accountId, tokenId: null },
    principal: nobody(accountId),
    requestId: facts.requestId,
    ip: facts.ip,
    userAgent: facts.userAgent,
  };
}
