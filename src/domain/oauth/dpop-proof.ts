import { createHash } from 'node:crypto';
import {
  calculateJwkThumbprint,
  decodeProtectedHeader,
  EmbeddedJWK,
  type JWK,
  type JWTPayload,
  jwtVerify,
} from 'jose';
import type { Stores } from '../../storage/ports.js';
import type { DPoPNonces } from './dpop-nonce.js';
import { invalidDPoPProof, useDPoPNonce } from './oauth-error.js';

/**
 * The proof algorithms accepted (and advertised as `dpop_signing_alg_values_supported`).
 * `Ed25519` is EdDSA's fully-specified name (RFC 9864), which some clients sign with.
 */
export const DPOP_ALGS = ['ES256', 'EdDSA', 'Ed25519', 'RS256', 'PS256'] as const;
/** A proof is accepted up to this long after its `iat`… */
const MAX_AGE_SECONDS = 300;
/** …and this long before it (the client's clock may run ahead). */
const MAX_AHEAD_SECONDS = 60;
/** Far more than any proof needs (an RSA-4096 key in the header is ~1.5 KiB). */
const MAX_PROOF_LENGTH = 8192;
const MAX_JTI_LENGTH = 256;
/** JWK members that hold private or symmetric key material; none may be in a proof's `jwk`. */
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];
const JWS_COMPACT = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

/** What a DPoP proof is checked against: the request it came with. */
export interface ProofCheck {
  /** The `DPoP` request header as received: one proof, or several joined by commas. */
  proof: string;
  /** The request's method and absolute URL (any query and fragment are ignored). */
  method: string;
  url: string;
  /** The account whose nonces apply. */
  accountId: string;
  /** Require a server nonce (the token endpoint does). */
  requireNonce: boolean;
  /** At a resource: the access token presented, whose hash the proof's `ath` must be. */
  accessToken?: string;
}

/**
 * Checks DPoP proofs (RFC 9449 §4.3) and answers the thumbprint (RFC 7638) of the key that signed
 * one: one `DPoP` header, a compact JWS of `typ: dpop+jwt` signed with an asymmetric algorithm
 * by the public key in its own `jwk` header, for this method and URL, recent, with the server's
 * nonce where one is required, the access token's hash where one is presented, and a `jti` never
 * seen before from that key. The `jti`s are claimed in the database shared by every central node
 * (the store client assertions use), so a proof replayed to another node is refused too.
 */
export class DPoPProofs {
  readonly #stores: Pick<Stores, 'usedJtis'>;
  readonly nonces: DPoPNonces;

  constructor(stores: Pick<Stores, 'usedJtis'>, nonces: DPoPNonces) {
    this.#stores = stores;
    this.nonces = nonces;
  }

  /** The thumbprint of the proof's key, once every check passed; throws `invalid_dpop_proof`. */
  async verify(check: ProofCheck, now = Date.now()): Promise<string> {
    const { jwk, payload } = await readProof(check.proof);
    if (payload.htm !== check.method) {
      throw invalidDPoPProof(`the DPoP proof’s htm must be ${check.method}, the method of this request`);
    }
    if (typeof payload.htu !== 'string' || !sameResource(payload.htu, check.url)) {
      throw invalidDPoPProof(
        `the DPoP proof’s htu must be ${withoutQuery(check.url)}, the URL of this request`,
      );
    }
    const iat = payload.iat as number;
    const nowSeconds = Math.floor(now / 1000);
    if (iat < nowSeconds - MAX_AGE_SECONDS || iat > nowSeconds + MAX_AHEAD_SECONDS) {
      throw invalidDPoPProof(
        `the DPoP proof’s iat is not within ${MAX_AGE_SECONDS} s before and ${MAX_AHEAD_SECONDS} s after the server’s time: make a new proof (and check the clock)`,
      );
    }
    if (check.accessToken !== undefined) {
      const expected = createHash('sha256').update(check.accessToken).digest('base64url');
      if (payload.ath === undefined) {
        throw invalidDPoPProof(
          'the DPoP proof has no ath: give the access token’s SHA-256 hash, base64url-encoded',
        );
      }
      if (payload.ath !== expected) {
        throw invalidDPoPProof('the DPoP proof’s ath is not the hash of the access token presented');
      }
    }
    if (check.requireNonce) {
      if (payload.nonce === undefined) {
        throw useDPoPNonce(
          'the authorization server requires a nonce in the DPoP proof: use the DPoP-Nonce header',
        );
      }
      if (typeof payload.nonce !== 'string' || !this.nonces.accepts(check.accountId, payload.nonce, now)) {
        throw useDPoPNonce(
          'the DPoP proof’s nonce is unknown or expired: use the DPoP-Nonce header of this answer',
        );
      }
    }
    const jkt = await calculateJwkThumbprint(jwk, 'sha256');
    // Remembered while the proof could be accepted (iat + the maximum age, and a second more for
    // the whole seconds counted above); a replay in that time, on any node, is refused.
    const key = createHash('sha256')
      .update(JSON.stringify(['dpop', jkt, payload.jti]))
      .digest();
    const until = (iat + MAX_AGE_SECONDS + 1) * 1000;
    if (!(await this.#stores.usedJtis.claim(key, until, now))) {
      throw invalidDPoPProof('the DPoP proof was already used: make a new proof for every request');
    }
    return jkt;
  }
}

/** The proof's verified key and claims, or `invalid_dpop_proof` saying what is wrong. */
async function readProof(proof: string): Promise<{ jwk: JWK; payload: JWTPayload }> {
  if (proof.includes(',')) throw invalidDPoPProof('send exactly one DPoP header');
  const jws = proof.trim();
  if (jws.length > MAX_PROOF_LENGTH || !JWS_COMPACT.test(jws)) {
    throw invalidDPoPProof('the DPoP header is not a JWT (a compact JWS)');
  }
  let header: ReturnType<typeof decodeProtectedHeader>;
  try {
    header = decodeProtectedHeader(jws);
  } catch {
    throw invalidDPoPProof('the DPoP proof’s header is not valid JSON');
  }
  if (header.typ !== 'dpop+jwt') throw invalidDPoPProof('the DPoP proof’s typ must be dpop+jwt');
  if (typeof header.alg !== 'string' || !(DPOP_ALGS as readonly string[]).includes(header.alg)) {
    throw invalidDPoPProof(`the DPoP proof’s alg must be one of ${DPOP_ALGS.join(', ')}`);
  }
  const jwk = header.jwk;
  if (typeof jwk !== 'object' || jwk === null || Array.isArray(jwk)) {
    throw invalidDPoPProof('the DPoP proof has no jwk header: give the public key that signed it');
  }
  if (PRIVATE_MEMBERS.some((m) => Object.hasOwn(jwk, m))) {
    throw invalidDPoPProof('the DPoP proof’s jwk holds private key material: give the public key only');
  }
  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(jws, EmbeddedJWK, { typ: 'dpop+jwt', algorithms: [...DPOP_ALGS] }));
  } catch {
    throw invalidDPoPProof('the DPoP proof’s signature does not verify with the key in its jwk header');
  }
  if (typeof payload.jti !== 'string' || payload.jti === '' || payload.jti.length > MAX_JTI_LENGTH) {
    throw invalidDPoPProof(`the DPoP proof needs a jti of 1 to ${MAX_JTI_LENGTH} characters`);
  }
  if (typeof payload.htm !== 'string' || typeof payload.htu !== 'string') {
    throw invalidDPoPProof('the DPoP proof needs htm and htu claims');
  }
  if (typeof payload.iat !== 'number' || !Number.isFinite(payload.iat)) {
    throw invalidDPoPProof('the DPoP proof needs an iat claim');
  }
  return { jwk: jwk as JWK, payload };
}

/**
 * RFC 9449 §4.3 step 9: the URLs match without query and fragment, after RFC 3986 §6 syntax
 * normalisation (scheme and host case, default port, dot segments), which URL parsing does.
 */
function sameResource(htu: string, url: string): boolean {
  try {
    return withoutQuery(htu) === withoutQuery(url);
  } catch {
    return false;
  }
}

const withoutQuery = (url: string): string => {
  const u = new URL(url);
  return `${u.origin}${u.pathname}`;
};
