import type { Keyring } from '../../crypto/keyring.js';
import { isAppError } from '../../errors/app-error.js';
import type { MfaChallengeRecord, Storage, UserRecord } from '../../storage/ports.js';
import { acceptCode } from '../mfa/accept-code.js';
import type { MfaService, TotpEnrolment } from '../mfa/mfa-service.js';
import { activeUser } from '../users/active-user.js';
import { CHALLENGE_MAX_ATTEMPTS, findChallenge } from './challenges.js';
import {
  auditSignIn,
  type LoginFacts,
  type LoginService,
  PASSWORD_AND_CODE,
  signInContext,
  TooManyAttemptsError,
} from './login-service.js';
import { LoginThrottle } from './throttle.js';

/** A sign-in waiting for its second step, and the user it is for. */
export interface PendingSignIn {
  challenge: MfaChallengeRecord;
  user: UserRecord;
}

export type SecondStepResult =
  /** The step passed: `session` is the new session's cookie value. */
  | { status: 'signed-in'; session: string; recoveryCodes?: string[] }
  | { status: 'wrong' }
  /**
   * Enrolment only: the key this pending sign-in showed was replaced by an enrolment opened
   * elsewhere (enrolment-owner.ts); it is not switched on. The pending sign-in stays, and its
   * page, loaded again, shows a new key.
   */
  | { status: 'start-again' }
  /** The pending sign-in is gone (used up, expired, taken by a parallel request): start over. */
  | { status: 'expired' };

/** Thrown inside a transaction to roll it back when the challenge was consumed by another request. */
class ChallengeTaken extends Error {}

/**
 * The second step of a sign-in (login-service.ts opened it after a right password): a TOTP or
 * recovery code for a user with TOTP on (`verify`), or enrolment for a user without one in an
 * account that requires it (`enrol`). No session exists until it passes. Every submission is
 * throttled on the login throttle's keys for codes, counted against the pending sign-in's own
 * attempts, and audited (never with the code).
 */
export class SecondStep {
  readonly #storage: Storage;
  readonly #keyring: Keyring;
  readonly #login: LoginService;
  readonly #mfa: MfaService;
  readonly #throttle: LoginThrottle;

  constructor(
    storage: Storage,
    keyring: Keyring,
    login: LoginService,
    mfa: MfaService,
    throttle = new LoginThrottle(storage),
  ) {
    this.#storage = storage;
    this.#keyring = keyring;
    this.#login = login;
    this.#mfa = mfa;
    this.#throttle = throttle;
  }

  /** The pending sign-in a cookie value belongs to in this account, or undefined. */
  async pending(accountId: string, cookie: string | undefined): Promise<PendingSignIn | undefined> {
    return this.#pending(accountId, cookie);
  }

  /** The pending sign-in a cookie value belongs to, in whichever account (the web console's). */
  async pendingAnywhere(cookie: string | undefined): Promise<PendingSignIn | undefined> {
    return this.#pending(undefined, cookie);
  }

  async #pending(accountId: string | undefined, cookie: string | undefined) {
    const challenge = await findChallenge(this.#storage, accountId, cookie);
    if (!challenge) return undefined;
    // A user disabled (or deleted) after the password step finishes nothing.
    const standing = await activeUser(this.#storage, challenge.accountId, challenge.userId);
    return standing.active ? { challenge, user: standing.user } : undefined;
  }

  /** What the enrolment page of an `enrol` sign-in shows: a key for this pending sign-in alone. */
  enrolment(pending: PendingSignIn): Promise<TotpEnrolment> {
    return this.#mfa.enrolment(pending.user, { kind: 'challenge', id: pending.challenge.id });
  }

  /** Leaves the pending sign-in (the user went back to the password form). */
  async cancel(pending: PendingSignIn): Promise<void> {
    await this.#storage.mfaChallenges.delete(pending.challenge.id);
  }

  async submit(pending: PendingSignIn, code: string, facts: LoginFacts): Promise<SecondStepResult> {
    const { challenge, user } = pending;
    const wait = await this.#throttle.reserveCode(user.accountId, user.id, facts.ip);
    if (wait > 0) throw new TooManyAttemptsError(Math.ceil(wait / 1000));
    if (!(await this.#storage.mfaChallenges.countAttempt(challenge.id, CHALLENGE_MAX_ATTEMPTS))) {
      await this.#storage.mfaChallenges.delete(challenge.id);
      return { status: 'expired' };
    }
    const typed = code.trim();
    return challenge.purpose === 'verify'
      ? this.#verify(pending, typed, facts)
      : this.#enrol(pending, typed, facts);
  }

  async #verify(
    { challenge, user }: PendingSignIn,
    code: string,
    facts: LoginFacts,
  ): Promise<SecondStepResult> {
    const deny = (stores: Pick<Storage, 'audit'>) =>
      auditSignIn(stores, user.accountId, user.id, facts, {
        action: 'CREATE',
        resourceType: 'LOGIN_SESSION',
        resourceId: null,
        result: 'DENY',
      });
    try {
      return await this.#storage.transaction(async (tx) => {
        const accepted = await acceptCode(tx, this.#keyring, user, code);
        if (!accepted) {
          await deny(tx);
          return { status: 'wrong' } as const;
        }
        // One session per pending sign-in: of two right codes racing, the one that deletes it wins.
        if (!(await tx.mfaChallenges.delete(challenge.id))) throw new ChallengeTaken();
        const session = await this.#login.openSession(tx, user, PASSWORD_AND_CODE);
        await this.#throttle.codeSucceeded(user.accountId, user.id, facts.ip, tx);
        if (accepted === 'recovery') {
          await auditSignIn(tx, user.accountId, user.id, facts, {
            action: 'UPDATE',
            resourceType: 'MFA',
            resourceId: user.id,
            result: 'SUCCESS',
          });
        }
        await auditSignIn(tx, user.accountId, user.id, facts, {
          action: 'CREATE',
          resourceType: 'LOGIN_SESSION',
          resourceId: session.record.id,
          result: 'SUCCESS',
        });
        return { status: 'signed-in', session: session.secret } as const;
      });
    } catch (error) {
      if (error instanceof ChallengeTaken) return { status: 'expired' };
      // A secret that fails its integrity check: refused (and recorded), never a way in.
      if (isAppError(error) && error.code === 'mfa_unavailable') await deny(this.#storage);
      throw error;
    }
  }

  async #enrol(
    { challenge, user }: PendingSignIn,
    code: string,
    facts: LoginFacts,
  ): Promise<SecondStepResult> {
    const ctx = signInContext(user.accountId, user.id, facts);
    const confirmed = await this.#mfa.confirm(ctx, user, { kind: 'challenge', id: challenge.id }, code);
    if (confirmed.status !== 'enabled') {
      await auditSignIn(this.#storage, user.accountId, user.id, facts, {
        action: 'CREATE',
        resourceType: 'MFA',
        resourceId: user.id,
        result: 'DENY',
      });
      return confirmed;
    }
    const { recoveryCodes } = confirmed;
    try {
      return await this.#storage.transaction(async (tx) => {
        if (!(await tx.mfaChallenges.delete(challenge.id))) throw new ChallengeTaken();
        const session = await this.#login.openSession(tx, user, PASSWORD_AND_CODE);
        await this.#throttle.codeSucceeded(user.accountId, user.id, facts.ip, tx);
        await auditSignIn(tx, user.accountId, user.id, facts, {
          action: 'CREATE',
          resourceType: 'LOGIN_SESSION',
          resourceId: session.record.id,
          result: 'SUCCESS',
        });
        return { status: 'signed-in', session: session.secret, recoveryCodes } as const;
      });
    } catch (error) {
      if (error instanceof ChallengeTaken) return { status: 'expired' };
      throw error;
    }
  }
}
