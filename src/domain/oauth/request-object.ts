import {
  createLocalJWKSet,
  decodeProtectedHeader,
  type JSONWebKeySet,
  type JWTPayload,
  errors as joseErrors,
  jwtVerify,
} from 'jose';
import type { ClientRecord } from '../../storage/ports.js';
import { invalidRequestObject } from './oauth-error.js';

/** The algorithms a request object may be signed with: those of private_key_jwt. Never `none`. */
export const REQUEST_OBJECT_ALGORITHMS = ['ES256', 'RS256', 'PS256'];
/** A request object is refused when its `exp` is further ahead than this (it is meant for one push). */
const MAX_LIFETIME_SECONDS = 3600;
/** Claims about the JWT itself, not parameters of the authorization request. */
const JWT_CLAIMS = new Set(['iss', 'aud', 'exp', 'iat', 'nbf', 'jti', 'sub']);
const EXPECTED_TYP = 'oauth-authz-req+jwt';

/**
 * The authorization request in a JWT-secured request object (RFC 9101), sent to the PAR
 * endpoint: signed by the client with a key of its registered JWK Set, `iss` the client, `aud`
 * the issuer, with an `exp` at most an hour ahead. Its claims are the request's parameters; per
 * RFC 9101 §6.3 they are the only ones used (parameters beside it in the form are ignored).
 * Objects (`claims`, `authorization_details`) are kept as JSON text, arrays (several `resource`)
 * as repeated parameters.
 */
export async function readRequestObject(
  issuer: string,
  client: ClientRecord,
  jwt: string,
  now = Date.now(),
): Promise<URLSearchParams> {
  let header: ReturnType<typeof decodeProtectedHeader>;
  try {
    header = decodeProtectedHeader(jwt);
  } catch {
    throw invalidRequestObject('request is not a JWT');
  }
  if (typeof header.alg !== 'string' || !REQUEST_OBJECT_ALGORITHMS.includes(header.alg)) {
    throw invalidRequestObject(
      `request object alg ${String(header.alg)} is refused: sign it with ${REQUEST_OBJECT_ALGORITHMS.join(', ')}`,
    );
  }
  if (header.typ !== undefined && header.typ.toLowerCase().replace(/^application\//, '') !== EXPECTED_TYP) {
    throw invalidRequestObject(`request object typ must be ${EXPECTED_TYP}`);
  }
  if (!client.jwks) {
    throw invalidRequestObject(
      `client ${client.id} has no registered public keys (jwks) to verify a request object with`,
    );
  }
  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(jwt, createLocalJWKSet(JSON.parse(client.jwks) as JSONWebKeySet), {
      issuer: client.id,
      audience: issuer,
      algorithms: REQUEST_OBJECT_ALGORITHMS,
      requiredClaims: ['exp'],
      currentDate: new Date(now),
    }));
  } catch (error) {
    throw invalidRequestObject(`request object refused: ${describe(error)}`);
  }
  if ((payload.exp as number) > now / 1000 + MAX_LIFETIME_SECONDS) {
    throw invalidRequestObject(`request object exp is more than ${MAX_LIFETIME_SECONDS} seconds ahead`);
  }
  if (payload.client_id !== undefined && payload.client_id !== client.id) {
    throw invalidRequestObject('request object client_id differs from its iss');
  }
  const parameters = new URLSearchParams();
  for (const [name, value] of Object.entries(payload)) {
    if (JWT_CLAIMS.has(name)) continue;
    if (name === 'request' || name === 'request_uri') {
      throw invalidRequestObject(`request object must not hold ${name}`);
    }
    for (const text of parameterValues(name, value)) parameters.append(name, text);
  }
  parameters.set('client_id', client.id);
  return parameters;
}

function parameterValues(name: string, value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (typeof value === 'number' && Number.isFinite(value)) return [String(value)];
  if (Array.isArray(value) && name === 'resource' && value.every((v) => typeof v === 'string')) {
    return value as string[];
  }
  if (typeof value === 'object' && value !== null) return [JSON.stringify(value)];
  throw invalidRequestObject(`request object claim ${name} is not a string`);
}

const CLAIM_RULES: Record<string, string> = {
  iss: ': it must be the client id',
  aud: ': it must be the issuer',
  nbf: ': the object is not valid yet',
};

/** What was wrong, in words that name no key material. */
function describe(error: unknown): string {
  if (error instanceof joseErrors.JWSSignatureVerificationFailed) return 'signature does not verify';
  if (error instanceof joseErrors.JWKSNoMatchingKey) return "no key of the client's jwks matches it";
  if (error instanceof joseErrors.JWTExpired) return 'it has expired';
  if (error instanceof joseErrors.JWTClaimValidationFailed) {
    if (error.reason === 'missing') return `claim ${error.claim} is missing`;
    return `claim ${error.claim} is wrong${CLAIM_RULES[error.claim] ?? ''}`;
  }
  if (error instanceof joseErrors.JOSEError) return 'it is malformed';
  return 'it could not be verified';
}
