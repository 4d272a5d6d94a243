import type { Stores } from '../../storage/ports.js';

/** Whether an account exists: each account is its own authorization server at `/oauth/{accountId}`. */
export async function accountExists(stores: Pick<Stores, 'accounts'>, accountId: string): Promise<boolean> {
  return (await stores.accounts.get(accountId)) !== undefined;
}
