import type { Stores } from '../../storage/ports.js';

/**
 * The operator account: the one `keyhold init` founded, whose owners manage the other accounts.
 * It is the oldest account, and stays so: only the operator account's tokens may delete
 * accounts, and never their own.
 */
export async function operatorAccountId(stores: Pick<Stores, 'accounts'>): Promise<string | undefined> {
  return (await stores.accounts.list())[0]?.id;
}
