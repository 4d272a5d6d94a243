import type { Stores } from '../../storage/ports.js';
import { invalidGrant } from './oauth-error.js';

/** The grant lost a scope between reading it and registering tokens issued from it. */
class GrantNarrowed extends Error {}

/** Attempts of one redemption: a user narrows a grant by hand, so a second attempt normally wins. */
const ATTEMPTS = 3;

/**
 * Throws unless the grant still holds every scope of the tokens about to be registered. Called
 * inside the registering transaction: the scopes were worked out before it, from the grant or
 * from a refresh token narrowed with it, and a consent that unticked a scope may have committed
 * in between (consent.ts narrows what it finds, not tokens registered after it). Throwing rolls
 * the transaction back, so the code stays unused and the refresh token unrotated, and
 * `redeemAgainIfNarrowed` works the answer out again from what the grant holds now.
 */
export async function requireGrantStillCovers(
  stores: Pick<Stores, 'grants'>,
  accountId: string,
  grantId: string | null,
  scopes: readonly string[],
): Promise<void> {
  if (grantId === null) return;
  // Held until the tokens are registered: a consent narrowing the grant (or a revocation deleting
  // it) on another node waits for this transaction, then finds and narrows what it registered.
  const grant = await stores.grants.get(accountId, grantId, 'share');
  if (!grant || scopes.some((s) => !grant.scopes.includes(s))) throw new GrantNarrowed();
}

/** Runs a redemption, again from the start when its grant was narrowed under it. */
export async function redeemAgainIfNarrowed<T>(redeem: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await redeem();
    } catch (error) {
      if (!(error instanceof GrantNarrowed)) throw error;
      if (attempt === ATTEMPTS) {
        throw invalidGrant('the grant changed while tokens were issued from it; try again');
      }
    }
  }
}
