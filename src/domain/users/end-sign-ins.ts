import type { Stores, UserRecord } from '../../storage/ports.js';
import { revokeExchangedConnectTokens } from '../oauth/exchanged-connect-tokens.js';

/** The stores `endSignIns` writes to. */
export type SignInStores = 'loginSessions' | 'grants' | 'mfaChallenges' | 'passwordResets' | 'connectTokens';

/**
 * Ends everything that lets someone act as `user` without giving the password again: sign-in
 * sessions (but `keepSession`, the one a user changing their own password is using), OAuth grants
 * with every code and token under them (the CLI's sign-ins too; unless `keepGrants`, for a disable:
 * they stay refused until the enable deletes them; the Connect tokens exchanged under them are
 * revoked either way, since a Connect token knows nothing of its user), sign-ins waiting for their second
 * step (opened with a password that is no longer the one, or before a disable), and, unless
 * `keepResetLink`, the reset link (a way to set the password without knowing it).
 *
 * Called in the transaction of the change that requires it: disabling and enabling the user (so
 * enabling them again revives nothing that may have leaked meanwhile), a reset through a link, and a
 * change of the user's own password (whoever held the old one keeps nothing it opened).
 */
export async function endSignIns(
  tx: Pick<Stores, SignInStores>,
  user: Pick<UserRecord, 'id' | 'accountId'>,
  options: { keepSession?: string; keepResetLink?: boolean; keepGrants?: boolean } = {},
): Promise<void> {
  await tx.loginSessions.deleteForUser(user.id, options.keepSession);
  await revokeExchangedConnectTokens(tx, { accountId: user.accountId, userId: user.id });
  if (!options.keepGrants) await tx.grants.deleteForUser(user.accountId, user.id);
  await tx.mfaChallenges.deleteForUser(user.id);
  if (!options.keepResetLink) await tx.passwordResets.deleteForUser(user.id);
}
