import { newId } from '../../crypto/ids.js';
import { hashSecret, newBearerSecret } from '../../crypto/secrets.js';
import { AppError } from '../../errors/app-error.js';
import type { PasswordResetRecord, Stores, Transactional, UserRecord } from '../../storage/ports.js';
import { nobody } from '../access/principals.js';
import { recordAudit } from '../audit/audit-log.js';
import type { RequestContext } from '../context.js';
import { endSignIns, type SignInStores } from './end-sign-ins.js';
import { MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH } from './password-policy.js';
import { hashPassword } from './passwords.js';

export const RESET_PREFIX = 'khpr';
const RESET_PATTERN = /^khpr_[A-Za-z0-9_-]{43}$/;
/** Long enough to pass a link on to its user, short enough that a forgotten one soon dies. */
export const RESET_TTL_SECONDS = 3600;

export interface PasswordResetLink {
  userId: string;
  /** The page that sets the new password. Holds the secret: shown once, never stored. */
  url: string;
  expiresAt: string;
}

/** Why a reset link does not work, in words its holder can act on. */
export class ResetLinkError extends AppError {
  constructor(message: string) {
    super(400, 'invalid_reset_link', message);
  }
}

/**
 * Creates a one-time reset link for `user`: a 256-bit secret of which only the SHA-256 is
 * stored, valid for an hour. Creating one deletes every older link of the user, so only the
 * newest works. The secret travels in the query string: request logs drop it (base-app.ts), and
 * the pages send no Referer.
 */
export async function createPasswordReset(
  storage: Transactional<never, 'passwordResets' | 'audit'>,
  ctx: RequestContext,
  user: UserRecord,
  pagesBase: string,
): Promise<PasswordResetLink> {
  const secret = newBearerSecret(RESET_PREFIX);
  const now = Date.now();
  const record: PasswordResetRecord = {
    id: newId(),
    secretHash: hashSecret(secret),
    accountId: user.accountId,
    userId: user.id,
    createdAt: new Date(now).toISOString(),
    expiresAt: new Date(now + RESET_TTL_SECONDS * 1000).toISOString(),
    usedAt: null,
  };
  await storage.transaction(async (tx) => {
    await tx.passwordResets.replace(record);
    await recordAudit(tx.audit, ctx, {
      action: 'CREATE',
      resourceType: 'PASSWORD_RESET',
      resourceId: user.id,
      result: 'SUCCESS',
    });
  });
  return {
    userId: user.id,
    url: `${pagesBase}/reset?${new URLSearchParams({ token: secret })}`,
    expiresAt: record.expiresAt,
  };
}

/**
 * The reset a link's secret belongs to, while it can still be used; otherwise a ResetLinkError
 * saying whether it was used, expired, or is not (or no longer) a link at all. Only the holder of
 * the secret learns this, and the secret is what proves they were sent the link.
 */
export async function usableReset(
  storage: Pick<Stores, 'passwordResets'>,
  accountId: string,
  secret: string | null,
): Promise<PasswordResetRecord> {
  const record =
    secret !== null && RESET_PATTERN.test(secret)
      ? await storage.passwordResets.findByHash(hashSecret(secret))
      : undefined;
  if (!record || record.accountId !== accountId) {
    throw new ResetLinkError(
      'This reset link is not valid. A newer link replaces older ones; ask your administrator for a new one.',
    );
  }
  if (record.usedAt !== null) {
    throw new ResetLinkError('This reset link was already used. Ask your administrator for a new one.');
  }
  if (record.expiresAt <= new Date().toISOString()) {
    throw new ResetLinkError('This reset link has expired. Ask your administrator for a new one.');
  }
  return record;
}

/** The email of the user a usable reset link is for, to show on its page. */
export async function resetLinkEmail(
  storage: Pick<Stores, 'passwordResets' | 'users'>,
  accountId: string,
  secret: string | null,
): Promise<string> {
  const reset = await usableReset(storage, accountId, secret);
  const user = await storage.users.get(accountId, reset.userId);
  // The link goes with its user (cascade); this is only a read racing a delete.
  if (!user) throw new ResetLinkError('This reset link is not valid. Ask your administrator for a new one.');
  return user.email;
}

/**
 * Sets the new password through a reset link: the link is used up, the user's sessions, grants
 * (OAuth and CLI tokens) and pending second steps end (end-sign-ins.ts), and the use is audited,
 * all in one transaction. Of two racing uses, one wins; the other is told the
 * link was used.
 */
export async function completePasswordReset(
  storage: Transactional<'passwordResets' | 'users', 'passwordResets' | 'users' | 'audit' | SignInStores>,
  accountId: string,
  secret: string | null,
  password: string,
  facts: Pick<RequestContext, 'requestId' | 'ip' | 'userAgent'>,
): Promise<void> {
  const reset = await usableReset(storage, accountId, secret);
  if (password.length < MIN_PASSWORD_LENGTH || password.length > MAX_PASSWORD_LENGTH) {
    throw new AppError(
      400,
      'invalid_input',
      `The password must be ${MIN_PASSWORD_LENGTH} to ${MAX_PASSWORD_LENGTH} characters.`,
    );
  }
  const passwordHash = await hashPassword(password);
  const ctx: RequestContext = {
    actor: { type: 'user', id: reset.userId, accountId, tokenId: reset.id },
    principal: nobody(accountId),
    ...facts,
  };
  await storage.transaction(async (tx) => {
    const now = new Date().toISOString();
    if (!(await tx.passwordResets.markUsed(reset.id, now))) {
      throw new ResetLinkError(
        'This reset link was already used or has expired. Ask your administrator for a new one.',
      );
    }
    await tx.users.update(accountId, reset.userId, { passwordHash, updatedAt: now });
    // The link itself stays, marked used, so a second use is told so.
    await endSignIns(tx, { id: reset.userId, accountId }, { keepResetLink: true });
    await recordAudit(tx.audit, ctx, {
      action: 'UPDATE',
      resourceType: 'PASSWORD_RESET',
      resourceId: reset.userId,
      result: 'SUCCESS',
    });
  });
}
