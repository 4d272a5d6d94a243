import { AppError } from '../../errors/app-error.js';
import type { OAuthTokenRecord } from '../../storage/ports.js';
import type { DPoPProofs } from './dpop-proof.js';
import { isOAuthError } from './oauth-error.js';

/** How a request to the vault API presented its access token. */
export interface TokenPresentation {
  /** `Authorization: Bearer …` or `Authorization: DPoP …` (RFC 9449 §7.1). */
  scheme: 'Bearer' | 'DPoP';
  /** The `DPoP` header, if any (several are joined by commas). */
  proof: string | undefined;
  method: string;
  /** The absolute URL of the request, as the client addressed it (its query is ignored). */
  url: string;
}

/** The `error` of a `WWW-Authenticate: DPoP` challenge (RFC 9449 §7.1). */
export type DPoPChallengeError = 'invalid_token' | 'invalid_dpop_proof' | 'use_dpop_nonce';

/**
 * A 401 of the vault API that answers with a DPoP challenge rather than a Bearer one. The body
 * is the API's usual `unauthorized`; the challenge's `error` tells a DPoP client what to fix.
 */
export class DPoPChallenge extends AppError {
  readonly challenge: DPoPChallengeError;

  constructor(challenge: DPoPChallengeError, message: string) {
    super(401, 'unauthorized', message);
    this.challenge = challenge;
  }
}

export const isDPoPChallenge = (e: unknown): e is DPoPChallenge => e instanceof DPoPChallenge;

/**
 * RFC 9449 §7: a DPoP-bound token is honoured only as `Authorization: DPoP` with a proof of this
 * request (method, URL, the token's hash in `ath`) signed by the key it is bound to. A bound token
 * sent as Bearer is refused, since honouring it would make the binding worthless to whoever
 * stole it; a bearer token sent under the DPoP scheme is refused too, so a client cannot believe
 * a token is bound when it is not.
 */
export async function requireProofOfPossession(
  proofs: DPoPProofs,
  record: Pick<OAuthTokenRecord, 'jkt' | 'accountId'>,
  token: string,
  presented: TokenPresentation,
): Promise<void> {
  if (presented.scheme === 'Bearer') {
    if (record.jkt !== null) {
      throw new DPoPChallenge(
        'invalid_token',
        'the access token is DPoP-bound: send it as `Authorization: DPoP <token>` with a DPoP proof',
      );
    }
    return;
  }
  if (record.jkt === null) {
    throw new DPoPChallenge(
      'invalid_token',
      'the access token is not DPoP-bound: send it as `Authorization: Bearer <token>`',
    );
  }
  if (presented.proof === undefined) {
    throw new DPoPChallenge('invalid_dpop_proof', 'send a DPoP proof of this request in the DPoP header');
  }
  let jkt: string;
  try {
    jkt = await proofs.verify({
      proof: presented.proof,
      method: presented.method,
      url: presented.url,
      accountId: record.accountId,
      requireNonce: false,
      accessToken: token,
    });
  } catch (error) {
    if (isOAuthError(error) && (error.code === 'invalid_dpop_proof' || error.code === 'use_dpop_nonce')) {
      throw new DPoPChallenge(error.code, error.message);
    }
    throw error;
  }
  if (jkt !== record.jkt) {
    throw new DPoPChallenge(
      'invalid_dpop_proof',
      'the DPoP proof is signed by another key than the one the access token is bound to',
    );
  }
}
