import type { FastifyRequest } from 'fastify';
import type { PresentedToken } from '../connect-server/central/central-client.js';

const AUTHORIZATION = /^(Bearer|DPoP) +([^\s]+) *$/i;

/**
 * The access token of a user vault API request as presented: `Authorization: Bearer …` or
 * `Authorization: DPoP …` (RFC 9449 §7.1), with the `DPoP` proof header and the request line the
 * proof must match. Anything else is an empty token, refused as missing.
 */
export function presentedToken(request: FastifyRequest): PresentedToken {
  const match = AUTHORIZATION.exec(request.headers.authorization ?? '');
  const proof = request.headers.dpop;
  return {
    scheme: match?.[1]?.toLowerCase() === 'dpop' ? 'DPoP' : 'Bearer',
    token: match?.[2] ?? '',
    proof: Array.isArray(proof) ? proof.join(', ') : proof,
    method: request.method,
    path: request.url.split('?', 1)[0] ?? request.url,
  };
}
