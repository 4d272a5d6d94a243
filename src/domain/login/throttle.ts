import { hashSecret } from '../../crypto/secrets.js';
import { AppError, integrityError } from '../../errors/app-error.js';
import type { LoginAttemptKey, Stores } from '../../storage/ports.js';
import { sourceAddress } from '../audit/refusal-summaries.js';

/** The login could not be tried now: too many failures. */
export class TooManyAttemptsError extends AppError {
  constructor(readonly retryAfterSeconds: number) {
    super(429, 'too_many_requests', `Too many failed sign-ins; try again in ${retryAfterSeconds} s.`);
  }
}

/** Attempts a key lets through before each further one waits. */
const FREE_PER_ADDRESS = 5;
const FREE_PER_EMAIL = FREE_PER_ADDRESS * 10;
/**
 * Failures one address may have across every email of the account: far above what a team behind
 * one NAT address fails between its successes (each success clears it), far below a password
 * spray, which otherwise only the password hash would slow down (tens of tries a second, each
 * leaving its throttle rows and audit event behind).
 */
const FREE_PER_SOURCE = FREE_PER_EMAIL * 4;
const BASE_DELAY_MS = 1_000;
const MAX_DELAY_MS = 15 * 60_000;

/** 1 s, 2 s, 4 s, … doubling up to 15 minutes. */
const LOGIN_WAITS_MS: readonly number[] = Object.freeze(waits());

function waits(): number[] {
  const out: number[] = [];
  for (let wait = BASE_DELAY_MS; wait < MAX_DELAY_MS; wait *= 2) out.push(wait);
  out.push(MAX_DELAY_MS);
  return out;
}

/**
 * A key is forgotten as long after its last attempt (or lock) as its free attempts would take at
 * the slowest pace, one per longest wait: pausing to start over never beats guessing on at the
 * cap. So rows of one-off attempts (a spray of emails) leave the table: 75 minutes for an
 * address, 12.5 hours for an email.
 */
const forgetAfter = (free: number) => free * MAX_DELAY_MS;

/**
 * Brute-force throttling of password logins, keyed three ways: by account+email+IP (an IPv6
 * client's /64; an attacker at one address is slowed down fast), by account+email alone with a
 * higher bar (a distributed guess is slowed down too, while the owner's own attempts from another
 * address still get through the first key), and by account+IP across emails with a higher bar
 * still (a password spray from one address). The delay doubles with every failure past the free
 * ones, up to 15 minutes; a success clears the keys it went through.
 *
 * Every attempt is reserved in storage before its password is checked, and counts as a failure
 * unless it succeeds: however many requests race, only the free attempts reach the (slow)
 * password check, and the counts are shared by every node of the database.
 */
export class LoginThrottle {
  readonly #stores: Pick<Stores, 'loginAttempts'>;
  readonly #now: () => number;

  constructor(stores: Pick<Stores, 'loginAttempts'>, now: () => number = Date.now) {
    this.#stores = stores;
    this.#now = now;
  }

  /** Reserves an attempt: 0 when it may go on, else the milliseconds to wait (nothing recorded). */
  reserve(account: string, email: string, ip: string): Promise<number> {
    return this.#reserve(perAddress(account, email, ip), perEmail(account, email), perSource(account, ip));
  }

  /**
   * Reserves a second-step attempt (a TOTP or recovery code) of a user whose password was right,
   * as `reserve` does for passwords and with the same bars: per user and address, per user, and
   * the address's count across the account (shared with passwords, so codes and passwords
   * guessed from one address add up). Keys of their own, so a code guess never buys a password
   * guess nor the other way round, and none is made faster than a password guess could be.
   */
  reserveCode(account: string, userId: string, ip: string): Promise<number> {
    return this.#reserve(
      codePerAddress(account, userId, ip),
      codePerUser(account, userId),
      perSource(account, ip),
    );
  }

  /** One attempt on three keys, each with its bar: the person at an address, the person, the address. */
  async #reserve(atAddress: Buffer, person: Buffer, source: Buffer): Promise<number> {
    const answer = await this.#stores.loginAttempts.reserve(
      [
        { key: atAddress, free: FREE_PER_ADDRESS, forgetAfterMs: forgetAfter(FREE_PER_ADDRESS) },
        { key: person, free: FREE_PER_EMAIL, forgetAfterMs: forgetAfter(FREE_PER_EMAIL) },
        { key: source, free: FREE_PER_SOURCE, forgetAfterMs: forgetAfter(FREE_PER_SOURCE) },
      ] satisfies LoginAttemptKey[],
      LOGIN_WAITS_MS,
      Math.floor(this.#now()),
    );
    if (answer.reserved) return 0;
    // The wait is read from the table. A row altered to hold something other than a time gives
    // NaN, which compares as no wait at all: every attempt would reach the password check. Fail
    // closed instead, naming the table.
    if (!(answer.retryAfterMs > 0)) throw integrityError('the login throttle (login_attempts)');
    return answer.retryAfterMs;
  }

  /** A code accepted: clears the keys `reserveCode` counted on. */
  async codeSucceeded(
    account: string,
    userId: string,
    ip: string,
    stores: Pick<Stores, 'loginAttempts'> = this.#stores,
  ): Promise<void> {
    await stores.loginAttempts.clear([
      codePerAddress(account, userId, ip),
      codePerUser(account, userId),
      perSource(account, ip),
    ]);
  }

  /**
   * A success: clears the email, this address's attempts at it, and this address's count across
   * emails (in `stores`, e.g. the login's transaction).
   */
  async succeed(
    account: string,
    email: string,
    ip: string,
    stores: Pick<Stores, 'loginAttempts'> = this.#stores,
  ): Promise<void> {
    await stores.loginAttempts.clear([
      perAddress(account, email, ip),
      perEmail(account, email),
      perSource(account, ip),
    ]);
  }
}

// JSON arrays: unambiguous whatever the strings hold (an email may contain any character).
// An address is keyed as the source refusals are counted against: an IPv6 client by its /64,
// since whoever holds one address of it can send from any of its 2^64 (a key per address would
// let each next attempt come from a fresh one, leaving only the email's far higher bar).
const perAddress = (account: string, email: string, ip: string) =>
  hashSecret(JSON.stringify(['login-address', account, email, sourceAddress(ip)]));
const perEmail = (account: string, email: string) =>
  hashSecret(JSON.stringify(['login-email', account, email]));
const perSource = (account: string, ip: string) =>
  hashSecret(JSON.stringify(['login-source', account, sourceAddress(ip)]));
const codePerAddress = (account: string, userId: string, ip: string) =>
  hashSecret(JSON.stringify(['mfa-address', account, userId, sourceAddress(ip)]));
const codePerUser = (account: string, userId: string) =>
  hashSecret(JSON.stringify(['mfa-user', account, userId]));
