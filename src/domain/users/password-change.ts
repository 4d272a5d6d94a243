import { AppError, invalidInput } from '../../errors/app-error.js';
import type { Transactional } from '../../storage/ports.js';
import { recordAudit } from '../audit/audit-log.js';
import type { Session } from '../login/login-service.js';
import { type LoginThrottle, TooManyAttemptsError } from '../login/throttle.js';
import { endSignIns, type SignInStores } from './end-sign-ins.js';
import { MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH } from './password-policy.js';
import { hashPassword, verifyPassword } from './passwords.js';

/** The current password given on the change form is not the user's. */
export const wrongCurrentPassword = () => new AppError(401, 'unauthorized', 'The current password is wrong.');

/**
 * A signed-in user changes their own password. Knowing the session is not enough: the current
 * password is checked, through the sign-in throttle's own keys (this email, this address), so
 * the form is no way around the sign-in page's limits for someone holding a stolen session. On
 * success everything the old password opened ends (end-sign-ins.ts): every other session, the
 * grants with their OAuth and CLI tokens, sign-ins waiting for a second step, a reset link; the
 * session used stays signed in.
 */
export async function changeOwnPassword(
  storage: Transactional<'audit', 'users' | 'audit' | 'loginAttempts' | SignInStores>,
  throttle: LoginThrottle,
  session: Session,
  current: string,
  next: string,
): Promise<void> {
  if (next.length < MIN_PASSWORD_LENGTH || next.length > MAX_PASSWORD_LENGTH) {
    throw invalidInput(
      `The new password must be ${MIN_PASSWORD_LENGTH} to ${MAX_PASSWORD_LENGTH} characters.`,
    );
  }
  const { user, ctx } = session;
  const ip = ctx.ip ?? '';
  const wait = await throttle.reserve(user.accountId, user.email, ip);
  if (wait > 0) throw new TooManyAttemptsError(Math.ceil(wait / 1000));
  const event = { action: 'UPDATE', resourceType: 'USER', resourceId: user.id } as const;
  if (!(await verifyPassword(user.passwordHash, current))) {
    await recordAudit(storage.audit, ctx, { ...event, result: 'DENY' });
    throw wrongCurrentPassword();
  }
  const passwordHash = await hashPassword(next);
  await storage.transaction(async (tx) => {
    await tx.users.update(user.accountId, user.id, { passwordHash, updatedAt: new Date().toISOString() });
    await endSignIns(tx, user, { keepSession: session.record.id });
    await throttle.succeed(user.accountId, user.email, ip, tx);
    await recordAudit(tx.audit, ctx, { ...event, result: 'SUCCESS' });
  });
}
