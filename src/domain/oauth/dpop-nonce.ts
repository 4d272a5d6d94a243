import { createHmac, timingSafeEqual } from 'node:crypto';

/** How long one nonce window lasts; a nonce is accepted in its window and the next one. */
const WINDOW_MS = 5 * 60 * 1000;
const NONCE_BYTES = 16;
/** Accounts whose current nonce is kept; past it the kept ones are dropped and made again. */
const MAX_KEPT = 1_000;

/**
 * RFC 9449 §8 server nonces, kept stateless: a nonce is the HMAC of the account and the current
 * five-minute window under a key every central node derives from the master key, so any node
 * checks a nonce another node gave out, with nothing stored. A nonce is accepted during its
 * window and the next (5 to 10 minutes), which limits how far ahead a proof can be made: one
 * signed before the nonce existed cannot carry it.
 */
export class DPoPNonces {
  readonly #key: Buffer;
  /**
   * Each account's nonce of the window it was last asked for: every token endpoint answer carries
   * one, and it changes once in five minutes, so the HMAC is made once per window, not per answer.
   */
  readonly #kept = new Map<string, { window: number; nonce: string }>();

  constructor(key: Buffer) {
    this.#key = key;
  }

  /** The nonce to hand out now, in a `DPoP-Nonce` header. */
  current(accountId: string, now = Date.now()): string {
    const window = Math.floor(now / WINDOW_MS);
    const kept = this.#kept.get(accountId);
    if (kept?.window === window) return kept.nonce;
    const nonce = this.#of(accountId, window).toString('base64url');
    if (this.#kept.size >= MAX_KEPT) this.#kept.clear();
    this.#kept.set(accountId, { window, nonce });
    return nonce;
  }

  /** Whether `nonce` was handed out for this account in this window or the one before. */
  accepts(accountId: string, nonce: string, now = Date.now()): boolean {
    const presented = Buffer.from(nonce, 'base64url');
    if (presented.length !== NONCE_BYTES || presented.toString('base64url') !== nonce) return false;
    const window = Math.floor(now / WINDOW_MS);
    // Both compared, whichever matches, so the time taken says nothing about which one did.
    const current = timingSafeEqual(this.#of(accountId, window), presented);
    const previous = timingSafeEqual(this.#of(accountId, window - 1), presented);
    return current || previous;
  }

  #of(accountId: string, window: number): Buffer {
    return createHmac('sha256', this.#key)
      .update(JSON.stringify(['dpop-nonce', accountId, window]))
      .digest()
      .subarray(0, NONCE_BYTES);
  }
}
