const MAX_ENTRIES = 100_000;

/**
 * Remembers used one-time identifiers (client-assertion `jti`s) until they expire. In memory:
 * sound for one central node; several nodes need a shared store (noted in docs/oauth.md).
 */
export class JtiReplayCache {
  readonly #seen = new Map<string, number>();

  /** Records `key` until `expiresAt` (epoch seconds); false when it was already recorded. */
  claim(key: string, expiresAt: number): boolean {
    const now = Math.floor(Date.now() / 1000);
    const previous = this.#seen.get(key);
    if (previous !== undefined && previous > now) return false;
    if (this.#seen.size >= MAX_ENTRIES) this.#sweep(now);
    // Still full of live entries: refuse rather than forget one (forgetting allows a replay).
    if (this.#seen.size >= MAX_ENTRIES) return false;
    this.#seen.set(key, expiresAt);
    return true;
  }

  #sweep(now: number): void {
    for (const [key, expiresAt] of this.#seen) if (expiresAt <= now) this.#seen.delete(key);
  }
}
