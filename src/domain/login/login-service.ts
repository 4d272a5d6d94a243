import { newId } from '../../crypto/ids.js';
import { hashSecret, newBearerSecret } from '../../crypto/secrets.js';
import { AppError } from '../../errors/app-error.js';
import type { LoginSessionRecord, MfaChallengePurpose, Storage, UserRecord } from '../../storage/ports.js';
import { nobody, userPrincipal } from '../access/principals.js';
import { type AuditFacts, recordAudit } from '../audit/audit-log.js';
import type { RequestContext } from '../context.js';
import { activeUser } from '../users/active-user.js';
import { changeOwnPassword } from '../users/password-change.js';
import { hashPassword, verifyPassword } from '../users/passwords.js';
import { openChallenge } from './challenges.js';
import { LoginThrottle, TooManyAttemptsError } from './throttle.js';

export const SESSION_PREFIX = 'khss';
const SESSION_PATTERN = /^khss_[A-Za-z0-9_-]{43}$/;
/** A login lasts a working day; then the user signs in again. */
export const SESSION_TTL_SECONDS = 8 * 3600;
/** RFC 8176 `amr` of a sign-in by password alone. */
export const PASSWORD_ONLY = ['pwd'];
/** RFC 8176 `amr` of a sign-in by password and a one-time code (TOTP or recovery code). */
export const PASSWORD_AND_CODE = ['pwd', 'otp', 'mfa'];

export interface LoginFacts {
  ip: string;
  userAgent: string | null;
  requestId: string;
}

export type LoginOutcome = { session: string } | { challenge: string; purpose: MfaChallengePurpose };

export interface Session {
  record: LoginSessionRecord;
  user: UserRecord;
  /** The account signed in to (its name, for the pages and the console to show). */
  account: { id: string; name: string };
  /** The user acting through this session, with their vault permissions. */
  ctx: RequestContext;
}

export { TooManyAttemptsError } from './throttle.js';

/** Emails are compared trimmed and lower-cased, as they are stored. */
const normalizeEmail = (email: string) => email.trim().toLowerCase();
/**
 * The throttle's account for an email with no user in any account (`loginAnywhere`): no account
 * id is empty, so its keys are apart from every account's.
 */
const NO_ACCOUNT = '';

/**
 * The password was right but the user is disabled. Said only after a correct password, so it
 * tells nothing to someone guessing; the work done is the same as for a wrong password.
 */
export class UserDisabledError extends AppError {
  constructor() {
    super(403, 'user_disabled', 'This user is disabled. Ask an administrator of the account to enable it.');
  }
}

/**
 * Password login for the users of an account (the IdP side of the authorization server) and the
 * sessions it opens. Sessions are bearer secrets in an http-only cookie; only their hash is
 * stored. Accounts' admins log in here too: nothing on this path depends on any client or scope,
 * so no registration mistake can lock anyone out (the seed's lockout story).
 */
export class LoginService {
  readonly #storage: Storage;
  readonly #throttle: LoginThrottle;
  /** Verified against when the email is unknown, so both cases take the same time. */
  readonly #decoy: Promise<string>;

  constructor(storage: Storage, throttle = new LoginThrottle(storage)) {
    this.#storage = storage;
    this.#throttle = throttle;
    this.#decoy = hashPassword(newBearerSecret('decoy'));
  }

  /**
   * Checks email and password. Undefined when either is wrong. Otherwise either a session
   * (`session`: the cookie value), or, for a user with a second factor or in an account that
   * requires one, a pending second step (`challenge`: the cookie value binding it to this
   * browser; second-step.ts) and no session yet.
   */
  async login(
    accountId: string,
    email: string,
    password: string,
    facts: LoginFacts,
  ): Promise<LoginOutcome | undefined> {
    const normalized = normalizeEmail(email);
    const user = await this.#checkPassword(accountId, normalized, password, facts);
    return user && this.#complete(accountId, user, normalized, facts);
  }

  /**
   * The web console's sign-in, which may name no account: the password is tried in every account
   * where the email has a user (only `accountId`'s when named), each attempt throttled and audited as `login` would in that
   * account, all at once (so several accounts take about the time of one). An email with no user
   * anywhere is throttled on keys of no account and verified against the decoy: the same work
   * and the same answer (undefined) as a wrong password. Right in one account: that account's
   * sign-in goes on as `login`'s does. Right in several: the accounts, for the caller to name one
   * (nothing is opened; each counted as a failed attempt until the named sign-in succeeds).
   */
  async loginAnywhere(
    email: string,
    password: string,
    facts: LoginFacts,
    accountId?: string,
  ): Promise<
    (LoginOutcome & { accountId: string }) | { accounts: { id: string; name: string }[] } | undefined
  > {
    const normalized = normalizeEmail(email);
    const users = (await this.#storage.users.findInAllAccounts(normalized)).filter(
      (user) => accountId === undefined || user.accountId === accountId,
    );
    if (users.length === 0) {
      const wait = await this.#throttle.reserve(NO_ACCOUNT, normalized, facts.ip);
      if (wait > 0) throw new TooManyAttemptsError(Math.ceil(wait / 1000));
      await verifyPassword(await this.#decoy, password);
      return undefined;
    }
    const checks = await Promise.allSettled(
      users.map((user) => this.#checkPassword(user.accountId, normalized, password, facts, user)),
    );
    const refusals = checks.flatMap((c) => (c.status === 'rejected' ? [c.reason as unknown] : []));
    const waits = refusals.filter((r): r is TooManyAttemptsError => r instanceof TooManyAttemptsError);
    const other = refusals.find((r) => !(r instanceof TooManyAttemptsError));
    if (other !== undefined) throw other;
    if (waits.length > 0) {
      throw new TooManyAttemptsError(Math.max(...waits.map((w) => w.retryAfterSeconds)));
    }
    const matches = checks.flatMap((c) => (c.status === 'fulfilled' && c.value ? [c.value] : []));
    const [only] = matches;
    if (only === undefined) return undefined;
    if (matches.length === 1) {
      return {
        accountId: only.accountId,
        ...(await this.#complete(only.accountId, only, normalized, facts)),
      };
    }
    const accounts = [];
    for (const user of matches) {
      const account = await this.#storage.accounts.get(user.accountId);
      if (account) accounts.push({ id: account.id, name: account.name });
    }
    return { accounts };
  }

  /**
   * The password step of a sign-in in one account: reserved in the throttle before the password
   * is checked (of concurrent attempts, only the free ones get past it; known and unknown emails
   * reserve alike), then checked against the user's hash or the decoy. The user when right; a
   * refusal is audited and answers undefined. `known` is the user when the caller read it already.
   */
  async #checkPassword(
    accountId: string,
    normalized: string,
    password: string,
    facts: LoginFacts,
    known?: UserRecord,
  ): Promise<UserRecord | undefined> {
    const wait = await this.#throttle.reserve(accountId, normalized, facts.ip);
    if (wait > 0) throw new TooManyAttemptsError(Math.ceil(wait / 1000));
    const user = known ?? (await this.#storage.users.findByEmail(accountId, normalized));
    const ok = await verifyPassword(user?.passwordHash ?? (await this.#decoy), password);
    if (!user || !ok) {
      // Recorded for an unknown email too (as the user `unknown`): the same work either way, so
      // the time of a refusal does not tell whether the email belongs to a user.
      await this.#audit(accountId, user, facts, 'DENY', null);
      return undefined;
    }
    return user;
  }

  /** After a right password: refuses a disabled user, else opens the session or the second step. */
  async #complete(
    accountId: string,
    user: UserRecord,
    normalized: string,
    facts: LoginFacts,
  ): Promise<LoginOutcome> {
    if (user.disabledAt !== null) {
      // Still a failure for the throttle (not cleared), and audited like one.
      await this.#audit(accountId, user, facts, 'DENY', null);
      throw new UserDisabledError();
    }
    const purpose = await this.#secondStepFor(user);
    const outcome = await this.#storage.transaction(async (tx): Promise<LoginOutcome | 'disabled'> => {
      // The user was read before the (slow) password check: a disable or delete that committed
      // meanwhile swept the user's sessions before this one existed, and an enable would revive
      // it. Read again in the transaction that opens it, and held (on PostgreSQL a disable on
      // another node waits for this transaction, then sweeps the session it opened).
      if (!(await activeUser(tx, accountId, user.id, 'share')).active) {
        await this.#audit(accountId, user, facts, 'DENY', null, tx);
        return 'disabled';
      }
      await this.#throttle.succeed(accountId, normalized, facts.ip, tx);
      if (purpose) {
        const challenge = await openChallenge(tx, user, purpose);
        // The password step passed; no session exists until the second one does.
        await auditSignIn(tx, accountId, user.id, facts, {
          action: 'CREATE',
          resourceType: 'MFA_CHALLENGE',
          resourceId: challenge.record.id,
          result: 'SUCCESS',
        });
        return { challenge: challenge.secret, purpose };
      }
      const session = await this.openSession(tx, user);
      await this.#audit(accountId, user, facts, 'SUCCESS', session.record.id, tx);
      return { session: session.secret };
    });
    if (outcome === 'disabled') throw new UserDisabledError();
    return outcome;
  }

  /**
   * Opens a session for a user who has passed every step, in `tx` (the caller audits it there).
   * `amr` says how (RFC 8176; an OpenID Connect ID token repeats it). Returns the cookie value;
   * only its hash is stored.
   */
  async openSession(
    tx: Pick<Storage, 'loginSessions'>,
    user: UserRecord,
    amr: string[] = PASSWORD_ONLY,
  ): Promise<{ secret: string; record: LoginSessionRecord }> {
    const secret = newBearerSecret(SESSION_PREFIX);
    const now = Date.now();
    const record: LoginSessionRecord = {
      id: newId(),
      secretHash: hashSecret(secret),
      accountId: user.accountId,
      userId: user.id,
      csrfToken: newBearerSecret('csrf'),
      createdAt: new Date(now).toISOString(),
      expiresAt: new Date(now + SESSION_TTL_SECONDS * 1000).toISOString(),
      amr,
    };
    await tx.loginSessions.insert(record);
    return { secret, record };
  }

  /** `verify` for a user with TOTP on, `enrol` for one without in an account that requires it. */
  async #secondStepFor(user: UserRecord): Promise<MfaChallengePurpose | undefined> {
    const totp = await this.#storage.totp.get(user.id);
    if (totp?.enabled) return 'verify';
    const policy = await this.#storage.accountPolicies.get(user.accountId);
    return policy?.requireMfa ? 'enrol' : undefined;
  }

  /** The live session a cookie value belongs to in this account, or undefined. */
  async session(
    accountId: string,
    cookie: string | undefined,
    facts: LoginFacts,
  ): Promise<Session | undefined> {
    const found = await this.#find(cookie, facts, accountId);
    if (found && 'expired' in found) {
      await this.#storage.loginSessions.delete(found.expired.id);
      return undefined;
    }
    return found?.session;
  }

  /**
   * The session a cookie value belongs to, in whichever account it was opened (the web console's
   * cookie names no account: the session does). `expired` for one past its expiry, kept until the
   * purge so that every request made with it says so; undefined for an unknown value or a user no
   * longer active.
   */
  async anySession(cookie: string | undefined, facts: LoginFacts): Promise<Session | 'expired' | undefined> {
    const found = await this.#find(cookie, facts);
    return found && ('expired' in found ? 'expired' : found.session);
  }

  async #find(
    cookie: string | undefined,
    facts: LoginFacts,
    accountId?: string,
  ): Promise<{ session: Session } | { expired: LoginSessionRecord } | undefined> {
    if (!cookie || !SESSION_PATTERN.test(cookie)) return undefined;
    const record = await this.#storage.loginSessions.findByHash(hashSecret(cookie));
    if (!record || (accountId !== undefined && record.accountId !== accountId)) return undefined;
    if (record.expiresAt <= new Date().toISOString()) return { expired: record };
    const standing = await activeUser(this.#storage, record.accountId, record.userId);
    if (!standing.active) return undefined;
    const { user } = standing;
    const account = await this.#storage.accounts.get(record.accountId);
    if (!account) return undefined;
    const access = await this.#storage.vaultAccess.listForUser(user.id);
    return {
      session: {
        record,
        user,
        account: { id: account.id, name: account.name },
        ctx: {
          actor: { type: 'user', id: user.id, accountId: record.accountId, tokenId: record.id },
          principal: userPrincipal(user, access, account.operator),
          requestId: facts.requestId,
          ip: facts.ip,
          userAgent: facts.userAgent,
        },
      },
    };
  }

  /** The signed-in user changes their password (password-change.ts), throttled like a login. */
  async changePassword(session: Session, current: string, next: string): Promise<void> {
    await changeOwnPassword(this.#storage, this.#throttle, session, current, next);
  }

  /** Ends the session (a sign-out from the pages or the console), audited with the deletion. */
  async logout(session: Session): Promise<void> {
    await this.#storage.transaction(async (tx) => {
      await tx.loginSessions.delete(session.record.id);
      await recordAudit(tx.audit, session.ctx, {
        action: 'DELETE',
        resourceType: 'LOGIN_SESSION',
        resourceId: session.record.id,
        result: 'SUCCESS',
      });
    });
  }

  async #audit(
    accountId: string,
    user: UserRecord | undefined,
    facts: LoginFacts,
    result: 'SUCCESS' | 'DENY',
    sessionId: string | null,
    stores: Pick<Storage, 'audit'> = this.#storage,
  ): Promise<void> {
    await auditSignIn(stores, accountId, user?.id ?? 'unknown', facts, {
      action: 'CREATE',
      resourceType: 'LOGIN_SESSION',
      resourceId: sessionId,
      result,
    });
  }
}

/**
 * Records a step of a sign-in, made by whoever claims to be `userId` (no principal yet: nothing
 * is allowed on the strength of an unfinished sign-in).
 */
export async function auditSignIn(
  stores: Pick<Storage, 'audit'>,
  accountId: string,
  userId: string,
  facts: LoginFacts,
  event: AuditFacts,
): Promise<void> {
  await recordAudit(stores.audit, signInContext(accountId, userId, facts), event);
}

export const signInContext = (accountId: string, userId: string, facts: LoginFacts): RequestContext => ({
  actor: { type: 'user', id: userId, accountId, tokenId: null },
  principal: nobody(accountId),
  requestId: facts.requestId,
  ip: facts.ip,
  userAgent: facts.userAgent,
});
