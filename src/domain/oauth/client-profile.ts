import { invalidInput } from '../../errors/app-error.js';
import type { ClientAuthMethod, ClientRecord, GrantType } from '../../storage/ports.js';

/**
 * Per-client settings that tighten what the authorization server accepts from one client:
 * RFC 9126 §6 `require_pushed_authorization_requests`, RFC 9449 §5.2 `dpop_bound_access_tokens`,
 * and the FAPI 2.0 Security Profile (final, 2025), which implies both.
 *
 * What FAPI 2.0 §5.3.2 asks of an authorization server, and where Keyhold does it:
 * - confidential clients only, authenticated with `private_key_jwt` (Keyhold has no mTLS):
 *   refused at registration here; a client authenticates only with its registered method
 *   (client-auth.ts), and a profiled client's assertion must name the issuer alone as `aud`;
 * - sender-constrained access tokens (DPoP here): token requests without a proof are refused
 *   (dpop-binding.ts, {@link requiresDpop});
 * - PAR, with `redirect_uri` in it: {@link clientRequiresPushedRequests}; a pushed request is validated
 *   as `/authorize` would, which always requires `redirect_uri`;
 * - `response_type=code` only, PKCE with S256, `iss` in the authorization response (RFC 9207),
 *   single-use codes living at most 60 s, request URIs living 60 s: true for every client.
 */
export interface ProfileInput {
  public: boolean;
  authMethod: ClientAuthMethod;
  grantTypes: GrantType[];
  fapi2SecurityProfile: boolean;
}

/** A client asked to be held to FAPI 2.0 that cannot be: refused, saying what is missing. */
export function checkFapi2Registration(c: ProfileInput): void {
  if (!c.fapi2SecurityProfile) return;
  const refuse = (why: string): never => {
    throw invalidInput(`the FAPI 2.0 Security Profile ${why}`);
  };
  if (c.public) refuse('is for confidential clients only: a public client cannot be held to it');
  if (c.authMethod !== 'private_key_jwt') {
    refuse(
      `authenticates clients with private_key_jwt only (not ${c.authMethod}): register the client with its public keys (jwks)`,
    );
  }
  if (!c.grantTypes.includes('authorization_code') && !c.grantTypes.includes('client_credentials')) {
    refuse('needs the authorization_code or client_credentials grant');
  }
}

/** Whether the client's authorization requests are taken only through the PAR endpoint. */
export const clientRequiresPushedRequests = (client: ClientRecord): boolean =>
  client.requirePushedRequests || client.fapi2SecurityProfile;

/** Whether every token request of the client must carry a DPoP proof (sender-constrained tokens). */
export const requiresDpop = (client: ClientRecord): boolean =>
  client.dpopBoundAccessTokens || client.fapi2SecurityProfile;

/**
 * The `aud` values a client assertion of this client may carry. FAPI 2.0 §5.3.2.1: the issuer
 * identifier only, as a string (not the endpoint URL RFC 7523 also allows).
 */
export const assertionAudiences = (client: ClientRecord, audiences: string[]): string[] =>
  client.fapi2SecurityProfile ? audiences.slice(0, 1) : audiences;
