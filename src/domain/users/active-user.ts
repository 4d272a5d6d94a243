import type { RowHold, Stores, UserRecord } from '../../storage/ports.js';

/** Whether a user may act now, and if not, why (for a 401 that says which). */
export type UserStanding =
  | { active: true; user: UserRecord }
  | { active: false; reason: 'disabled' | 'deleted'; message: string };

/**
 * The one answer to "may this user's credentials do anything now?", asked on every use of a
 * credential that acts for a user: a sign-in session, a vault API access token, a refresh or an
 * authorization code at the token endpoint, an introspection, and the CLI's sign-in tokens.
 * It reads the user's row each time instead of trusting anything cached or swept, so disabling
 * (or deleting) a user stops every one of their credentials on the very next request, on every
 * node of the database. In a transaction that opens a credential, `hold` keeps the answer true
 * until it commits (RowHold).
 */
export async function activeUser(
  stores: Pick<Stores, 'users'>,
  accountId: string,
  userId: string,
  hold?: RowHold,
): Promise<UserStanding> {
  const user = await stores.users.get(accountId, userId, hold);
  if (!user) return { active: false, reason: 'deleted', message: 'the user no longer exists' };
  if (user.disabledAt !== null) return { active: false, reason: 'disabled', message: 'the user is disabled' };
  return { active: true, user };
}
