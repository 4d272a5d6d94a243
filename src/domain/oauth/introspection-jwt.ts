import { SignJWT } from 'jose';
import type { SigningKeys } from '../connect/signing-keys.js';
import type { IntrospectionResponse } from './introspection.js';

/** RFC 9701 §4: the media type a caller accepts to get the introspection answer as a signed JWT. */
export const INTROSPECTION_JWT_MEDIA_TYPE = 'application/token-introspection+jwt';

/** Whether an `Accept` header asks for a signed introspection answer (not refused with q=0). */
export function wantsSignedIntrospection(accept: string | undefined): boolean {
  if (!accept) return false;
  return accept.split(',').some((entry) => {
    const [type, ...params] = entry.split(';').map((part) => part.trim().toLowerCase());
    if (type !== INTROSPECTION_JWT_MEDIA_TYPE) return false;
    const q = params.find((p) => p.startsWith('q='));
    return q === undefined || Number(q.slice(2)) > 0;
  });
}

/**
 * The introspection answer as RFC 9701 §5 signs it: `typ: token-introspection+jwt`, `iss` the
 * issuer, `aud` the caller (the resource server or client that authenticated), `iat`, and the
 * usual answer — `{active: false}` included — in `token_introspection`. Signed with the
 * account's OAuth key, which the issuer's JWKS publishes.
 */
export async function signIntrospection(
  keys: SigningKeys,
  accountId: string,
  issuer: string,
  audience: string,
  response: IntrospectionResponse,
): Promise<string> {
  const signer = await keys.signer(accountId, 'oauth');
  return new SignJWT({ token_introspection: response })
    .setProtectedHeader({ alg: 'ES256', kid: signer.kid, typ: 'token-introspection+jwt' })
    .setIssuer(issuer)
    .setAudience(audience)
    .setIssuedAt()
    .sign(signer.privateKey);
}
