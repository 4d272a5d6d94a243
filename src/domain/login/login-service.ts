import { newId } from '../../crypto/ids.js';
import { hashSecret, newBearerSecret } from '../../crypto/secrets.js';
import { AppError } from '../../errors/app-error.js';
import type { LoginSessionRecord, Storage, UserRecord } from '../../storage/ports.js';
import { nobody, userPrincipal } from '../access/principals.js';
import { recordAudit } from '../audit/audit-log.js';
import type { RequestContext } from '../context.js';
import { hashPassword, verifyPassword } from '../users/passwords.js';
import { LoginThrottle } from './throttle.js';

export const SESSION_PREFIX = 'khss';
const SESSION_PATTERN = /^khss_[A-Za-z0-9_-]{43}$/;
/** A login lasts a working day; then the user signs in again. */
export const SESSION_TTL_SECONDS = 8 * 3600;

export interface LoginFacts {
  ip: string;
  userAgent: string | null;
  requestId: string;
}

export interface Session {
  record: LoginSessionRecord;
  user: UserRecord;
  /** The user acting through this session, with their vault permissions. */
  ctx: RequestContext;
}

/** The login could not be tried now: too many failures. */
export class TooManyAttemptsError extends AppError {
  constructor(readonly retryAfterSeconds: number) {
    super(429, 'too_many_requests', `Too many failed sign-ins; try again in ${retryAfterSeconds} s.`);
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

  /** Returns the new session's cookie value, or undefined when email or password is wrong. */
  async login(
    accountId: string,
    email: string,
    password: string,
    facts: LoginFacts,
  ): Promise<string | undefined> {
    const normalized = email.trim().toLowerCase();
    // Reserved before the password is checked, and a failure unless it succeeds: of concurrent
    // attempts, only the free ones get past this line. Known and unknown emails reserve alike.
    const wait = await this.#throttle.reserve(accountId, normalized, facts.ip);
    if (wait > 0) throw new TooManyAttemptsError(Math.ceil(wait / 1000));
    const user = await this.#storage.users.findByEmail(accountId, normalized);
    const ok = await verifyPassword(user?.passwordHash ?? (await this.#decoy), password);
    if (!user || !ok) {
      // Recorded for an unknown email too (as the user `unknown`): the same work either way, so
      // the time of a refusal does not tell whether the email belongs to a user.
      await this.#audit(accountId, user, facts, 'DENY', null);
      return undefined;
    }
    const secret = newBearerSecret(SESSION_PREFIX);
    const now = Date.now();
    const record: LoginSessionRecord = {
      id: newId(),
      secretHash: hashSecret(secret),
      accountId,
      userId: user.id,
      csrfToken: newBearerSecret('csrf'),
      createdAt: new Date(now).toISOString(),
      expiresAt: new Date(now + SESSION_TTL_SECONDS * 1000).toISOString(),
    };
    await this.#storage.transaction(async (tx) => {
      await tx.loginSessions.insert(record);
      await this.#throttle.succeed(accountId, normalized, facts.ip, tx);
      await this.#audit(accountId, user, facts, 'SUCCESS', record.id, tx);
    });
    return secret;
  }

  /** The live session a cookie value belongs to in this account, or undefined. */
  async session(
    accountId: string,
    cookie: string | undefined,
    facts: LoginFacts,
  ): Promise<Session | undefined> {
    if (!cookie || !SESSION_PATTERN.test(cookie)) return undefined;
    const record = await this.#storage.loginSessions.findByHash(hashSecret(cookie));
    if (!record || record.accountId !== accountId) return undefined;
    if (record.expiresAt <= new Date().toISOString()) {
      await this.#storage.loginSessions.delete(record.id);
      return undefined;
    }
    const user = await this.#storage.users.get(accountId, record.userId);
    const account = await this.#storage.accounts.get(accountId);
    if (!user || !account) return undefined;
    const access = await this.#storage.vaultAccess.listForUser(user.id);
    return {
      record,
      user,
      ctx: {
        actor: { type: 'user', id: user.id, accountId, tokenId: record.id, operator: account.operator },
        principal: userPrincipal(user, access, account.operator),
        requestId: facts.requestId,
        ip: facts.ip,
        userAgent: facts.userAgent,
      },
    };
  }

  async logout(session: Session): Promise<void> {
    await this.#storage.loginSessions.delete(session.record.id);
  }

  async #audit(
    accountId: string,
    user: UserRecord | undefined,
    facts: LoginFacts,
    result: 'SUCCESS' | 'DENY',
    sessionId: string | null,
    stores: Pick<Storage, 'audit'> = this.#storage,
  ): Promise<void> {
    await recordAudit(
      stores.audit,
      {
        actor: { type: 'user', id: user?.id ?? 'unknown', accountId, tokenId: null, operator: false },
        principal: nobody(accountId),
        requestId: facts.requestId,
        ip: facts.ip,
        userAgent: facts.userAgent,
      },
      { action: 'CREATE', resourceType: 'LOGIN_SESSION', resourceId: sessionId, result },
    );
  }
}
