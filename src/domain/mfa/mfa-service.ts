import type { Keyring } from '../../crypto/keyring.js';
import { conflict, notFound } from '../../errors/app-error.js';
import type { AccountPolicyRecord, Storage, UserRecord } from '../../storage/ports.js';
import { authorizeAccount } from '../access/authorize.js';
import { recordAudit } from '../audit/audit-log.js';
import type { RequestContext } from '../context.js';
import { TooManyAttemptsError } from '../login/login-service.js';
import { LoginThrottle } from '../login/throttle.js';
import { acceptCode } from './accept-code.js';
import { type EnrolmentOwner, enrolmentOwnerKey } from './enrolment-owner.js';
import { newRecoveryCodes, recoveryCodeHash } from './recovery-codes.js';
import { matchingStep, newTotpSecret, secretText, totpUri } from './totp.js';
import { openTotpSecret, sealTotpSecret } from './totp-secret.js';

/** What an authenticator app needs: the QR code's URI, and the secret to type in instead. */
export interface TotpEnrolment {
  secret: string;
  uri: string;
}

/**
 * How a confirmation ended. `start-again`: nothing pending belongs to the confirming context any
 * more (enrolment was opened from another context, which replaced the key; or it was reset), so
 * the key this context showed must not be switched on — not even with a right code for it.
 */
export type EnrolmentConfirmation =
  | { status: 'enabled'; recoveryCodes: string[] }
  | { status: 'wrong' }
  | { status: 'start-again' };

export interface MfaStatus {
  userId: string;
  enabled: boolean;
  recoveryCodesLeft: number;
}

export interface AccountPolicyView {
  requireMfa: boolean;
  /** Authorization requests must be pushed first (RFC 9126 §5); see docs/oauth.md. */
  requirePushedAuthorizationRequests: boolean;
}

/** The issuer authenticator apps file the entry under. */
const ISSUER = 'Keyhold';
/**
 * A reload of the enrolment page in the same sign-in context within this time shows the same
 * secret (it may be scanned already).
 */
const PENDING_REUSE_MS = 10 * 60_000;

/**
 * A user's TOTP second factor: enrolment (a secret sealed at rest, switched on only by a valid
 * code, then recovery codes shown once), turning it off with a current code, an administrator's
 * reset, and the account policy that can require it. Signing in with it is second-step.ts.
 */
export class MfaService {
  readonly #storage: Storage;
  readonly #keyring: Keyring;
  readonly #throttle: LoginThrottle;

  constructor(storage: Storage, keyring: Keyring, throttle = new LoginThrottle(storage)) {
    this.#storage = storage;
    this.#keyring = keyring;
    this.#throttle = throttle;
  }

  async status(user: Pick<UserRecord, 'id' | 'accountId'>): Promise<MfaStatus> {
    const totp = await this.#storage.totp.get(user.id);
    const enabled = totp?.enabled === true && totp.accountId === user.accountId;
    return {
      userId: user.id,
      enabled,
      recoveryCodesLeft: enabled ? await this.#storage.totp.unusedRecoveryCodes(user.id) : 0,
    };
  }

  /**
   * The pending enrolment of a user without TOTP on, for the sign-in context `owner`: the one
   * shown to that same context moments ago (a reload must not invalidate what the app just
   * scanned), else a new secret, sealed and stored pending for `owner` — replacing one pending
   * for any other context, which is never shown here (enrolment-owner.ts).
   */
  async enrolment(user: UserRecord, owner: EnrolmentOwner): Promise<TotpEnrolment> {
    const pendingFor = enrolmentOwnerKey(owner);
    const existing = await this.#storage.totp.get(user.id);
    if (existing?.enabled) throw conflict('two-step sign-in is already on for this user; turn it off first');
    let secret: Buffer | undefined;
    if (
      existing &&
      existing.pendingFor === pendingFor &&
      Date.parse(existing.createdAt) > Date.now() - PENDING_REUSE_MS
    ) {
      try {
        secret = openTotpSecret(this.#keyring, user.accountId, user.id, existing.secret);
      } catch {
        // A pending secret that does not open was never in use: replace it.
        secret = undefined;
      }
    }
    if (!secret) {
      secret = newTotpSecret();
      const stored = await this.#storage.totp.putPending({
        userId: user.id,
        accountId: user.accountId,
        secret: sealTotpSecret(this.#keyring, user.accountId, user.id, secret),
        enabled: false,
        lastStep: -1,
        createdAt: new Date().toISOString(),
        enabledAt: null,
        pendingFor,
      });
      if (!stored) throw conflict('two-step sign-in is already on for this user; turn it off first');
    }
    return { secret: secretText(secret), uri: totpUri(secret, ISSUER, user.email) };
  }

  /**
   * Switches on the enrolment pending for `owner` with a valid code from the app, and returns the
   * recovery codes (shown once, stored as hashes). A key pending for another context is never
   * switched on here, whatever the code (`start-again`). Audited with the change in one
   * transaction.
   */
  async confirm(
    ctx: RequestContext,
    user: UserRecord,
    owner: EnrolmentOwner,
    code: string,
  ): Promise<EnrolmentConfirmation> {
    const pendingFor = enrolmentOwnerKey(owner);
    const pending = await this.#storage.totp.get(user.id);
    if (!pending || pending.enabled || pending.accountId !== user.accountId) return { status: 'start-again' };
    if (pending.pendingFor !== pendingFor) return { status: 'start-again' };
    const secret = openTotpSecret(this.#keyring, user.accountId, user.id, pending.secret);
    const step = matchingStep(secret, code.trim(), Date.now(), -1);
    secret.fill(0);
    if (step === undefined) return { status: 'wrong' };
    const codes = newRecoveryCodes();
    const hashes = codes.map((c) => recoveryCodeHash(user.id, c));
    const enabled = await this.#storage.transaction(async (tx) => {
      // Compare-and-set on the sealed secret and its context in one statement: a secret replaced
      // or taken over by another context since it was read above is not switched on.
      const at = new Date().toISOString();
      if (!(await tx.totp.enable(user.id, pending.secret, pendingFor, step, hashes, at))) return false;
      await recordAudit(tx.audit, ctx, {
        action: 'CREATE',
        resourceType: 'MFA',
        resourceId: user.id,
        result: 'SUCCESS',
      });
      return true;
    });
    return enabled ? { status: 'enabled', recoveryCodes: codes } : { status: 'start-again' };
  }

  /**
   * Turns the user's own TOTP off; it takes a current code (or a recovery code), throttled like
   * a sign-in's second step. False when the code is wrong.
   */
  async disable(ctx: RequestContext, user: UserRecord, code: string): Promise<boolean> {
    const wait = await this.#throttle.reserveCode(user.accountId, user.id, ctx.ip ?? '');
    if (wait > 0) throw new TooManyAttemptsError(Math.ceil(wait / 1000));
    return this.#storage.transaction(async (tx) => {
      const accepted = await acceptCode(tx, this.#keyring, user, code.trim());
      if (accepted) {
        await tx.totp.delete(user.id);
        await this.#throttle.codeSucceeded(user.accountId, user.id, ctx.ip ?? '', tx);
      }
      await recordAudit(tx.audit, ctx, {
        action: 'DELETE',
        resourceType: 'MFA',
        resourceId: user.id,
        result: accepted ? 'SUCCESS' : 'DENY',
      });
      return accepted !== undefined;
    });
  }

  /** An administrator's view of a user's second factor (never the secret). */
  async adminStatus(ctx: RequestContext, userId: string): Promise<MfaStatus> {
    // First without the subject: a caller who may not read users learns nothing, not even
    // whether the id exists.
    await authorizeAccount(this.#storage, ctx, 'users:read', {
      denied: { resourceType: 'MFA', resourceId: userId },
    });
    const user = await this.#user(ctx, userId);
    await authorizeAccount(this.#storage, ctx, 'users:read', {
      subject: user.role,
      denied: { resourceType: 'MFA', resourceId: user.id },
    });
    return this.status(user);
  }

  /**
   * Removes a user's TOTP and recovery codes (a lost phone, or a secret that fails its integrity
   * check); the user signs in with the password alone, or enrols again where the policy says so.
   */
  async reset(ctx: RequestContext, userId: string): Promise<{ userId: string; removed: boolean }> {
    // As in adminStatus: the permission first, so a refusal says nothing about the id.
    await authorizeAccount(this.#storage, ctx, 'users:write', {
      denied: { action: 'DELETE', resourceType: 'MFA', resourceId: userId },
    });
    const user = await this.#user(ctx, userId);
    await authorizeAccount(this.#storage, ctx, 'users:write', {
      subject: user.role,
      denied: { action: 'DELETE', resourceType: 'MFA', resourceId: user.id },
    });
    const removed = await this.#storage.transaction(async (tx) => {
      const removed = await tx.totp.delete(user.id);
      await recordAudit(tx.audit, ctx, {
        action: 'DELETE',
        resourceType: 'MFA',
        resourceId: user.id,
        result: 'SUCCESS',
      });
      return removed;
    });
    return { userId: user.id, removed };
  }

  /** Whether the account requires every user to sign in with a second factor. */
  async requiresMfa(accountId: string): Promise<boolean> {
    return (await this.#storage.accountPolicies.get(accountId))?.requireMfa === true;
  }

  async policy(ctx: RequestContext): Promise<AccountPolicyView> {
    await authorizeAccount(this.#storage, ctx, 'account:read');
    return viewOf(await this.#storage.accountPolicies.get(ctx.actor.accountId));
  }

  /** Changes the settings given; the others keep their value. */
  async setPolicy(
    ctx: RequestContext,
    change: { [K in keyof AccountPolicyView]?: AccountPolicyView[K] | undefined },
  ): Promise<AccountPolicyView> {
    await authorizeAccount(this.#storage, ctx, 'account:update', {
      denied: { resourceId: ctx.actor.accountId },
    });
    const policy = await this.#storage.transaction(async (tx) => {
      const current = viewOf(await tx.accountPolicies.get(ctx.actor.accountId));
      const next: AccountPolicyView = {
        requireMfa: change.requireMfa ?? current.requireMfa,
        requirePushedAuthorizationRequests:
          change.requirePushedAuthorizationRequests ?? current.requirePushedAuthorizationRequests,
      };
      await tx.accountPolicies.put({
        accountId: ctx.actor.accountId,
        requireMfa: next.requireMfa,
        requirePushedRequests: next.requirePushedAuthorizationRequests,
        updatedAt: new Date().toISOString(),
      });
      await recordAudit(tx.audit, ctx, {
        action: 'UPDATE',
        resourceType: 'ACCOUNT',
        resourceId: ctx.actor.accountId,
        result: 'SUCCESS',
      });
      return next;
    });
    return policy;
  }

  async #user(ctx: RequestContext, userId: string): Promise<UserRecord> {
    const user = await this.#storage.users.get(ctx.actor.accountId, userId);
    if (!user) throw notFound(`user ${userId} not found`);
    return user;
  }
}

const viewOf = (record: AccountPolicyRecord | undefined): AccountPolicyView => ({
  requireMfa: record?.requireMfa === true,
  requirePushedAuthorizationRequests: record?.requirePushedRequests === true,
});
