import { conflict } from '../../errors/app-error.js';
import type { Stores, UserRecord } from '../../storage/ports.js';

/** Whether `user` is one of the enabled owners the account may not run out of. */
export const isEnabledOwner = (user: UserRecord) => user.role === 'owner' && user.disabledAt === null;

/**
 * Refuses a change that left the account without an enabled owner user. Called inside the
 * write's own transaction, after the write, in a transaction that locked the account before it
 * read the user (`accounts.lock`): such transactions take turns on every backend (SQLite has one
 * writer; on PostgreSQL the second waits for the account's lock, then reads what the first
 * committed), so of two racing demotions of the last two owners, on one node or two, the second
 * counts the first's change and is rolled back. A check before the transaction, or without the
 * lock on PostgreSQL, would let both pass.
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
