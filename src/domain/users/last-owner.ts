import { conflict } from '../../errors/app-error.js';
import type { Stores, UserRecord } from '../../storage/ports.js';

/** Whether `user` is one of the enabled owners the account may not run out of. */
export const isEnabledOwner = (user: UserRecord) => user.role === 'owner' && user.disabledAt === null;

/**
 * Refuses a change that left the account without an enabled owner user. Called inside the
 * write's own transaction, after the write: transactions are serialised (one writer), so of two
 * racing demotions of the last two owners the second counts the first's change and is rolled
 * back. A check before the transaction would let both pass.
 */
export async function keepAnOwner(
  tx: Pick<Stores, 'users'>,
  accountId: string,
  doing: string,
): Promise<void> {
  if ((await tx.users.countEnabledOwners(accountId)) > 0) return;
  throw conflict(
    `cannot ${doing}: this is the account's last enabled owner; make another user owner first`,
    'last_owner',
  );
}
