/** After this many failures in a row, a key must wait before it may try again. */
const FREE_FAILURES = 5;
const BASE_DELAY_MS = 1_000;
const MAX_DELAY_MS = 15 * 60_000;
const MAX_KEYS = 100_000;

interface Failures {
  count: number;
  lockedUntil: number;
}

/**
 * Brute-force throttling of password logins, keyed twice: by account+email+IP (an attacker at
 * one address is slowed down fast) and by account+email alone with a higher bar (a distributed
 * guess is slowed down too, while the owner's own attempts from another address still get
 * through the first key). The delay doubles with every failure past the free ones, up to 15
 * minutes; a success clears both keys. In memory: one central node (see docs/oauth.md).
 */
export class LoginThrottle {
  readonly #failures = new Map<string, Failures>();
  readonly #now: () => number;

  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  /** Milliseconds to wait before this login may be tried, or 0. */
  retryAfter(account: string, email: string, ip: string): number {
    const now = this.#now();
    const wait = (key: string) => Math.max(0, (this.#failures.get(key)?.lockedUntil ?? 0) - now);
    return Math.max(wait(perAddress(account, email, ip)), wait(perEmail(account, email)));
  }

  fail(account: string, email: string, ip: string): void {
    this.#bump(perAddress(account, email, ip), FREE_FAILURES);
    this.#bump(perEmail(account, email), FREE_FAILURES * 10);
  }

  succeed(account: string, email: string, ip: string): void {
    this.#failures.delete(perAddress(account, email, ip));
    this.#failures.delete(perEmail(account, email));
  }

  #bump(key: string, free: number): void {
    if (!this.#failures.has(key) && this.#failures.size >= MAX_KEYS) this.#sweep();
    const entry = this.#failures.get(key) ?? { count: 0, lockedUntil: 0 };
    entry.count += 1;
    if (entry.count >= free) {
      entry.lockedUntil = this.#now() + Math.min(MAX_DELAY_MS, BASE_DELAY_MS * 2 ** (entry.count - free));
    }
    this.#failures.set(key, entry);
  }

  /** Forgets keys whose lock has passed, oldest first, to bound memory under a spray attack. */
  #sweep(): void {
    const now = this.#now();
    for (const [key, entry] of this.#failures) {
      if (entry.lockedUntil <= now) this.#failures.delete(key);
      if (this.#failures.size < MAX_KEYS / 2) return;
    }
  }
}

const perAddress = (account: string, email: string, ip: string) => `${account}\0${email}\0${ip}`;
const perEmail = (account: string, email: string) => `${account}\0${email}`;
