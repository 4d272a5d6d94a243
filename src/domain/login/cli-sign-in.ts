import { hashSecret } from '../../crypto/secrets.js';
import { unauthorized } from '../../errors/app-error.js';
import type { Stores } from '../../storage/ports.js';
import { userPrincipal } from '../access/principals.js';
import type { RequestContext } from '../context.js';
import { ADMIN_API_RESOURCE } from '../oauth/cli-client.js';
import { activeUser } from '../users/active-user.js';

export interface CallerFacts {
  requestId: string | null;
  ip: string | null;
  userAgent: string | null;
}

/** Whether a bearer secret has the shape of an OAuth access token (and so may be a CLI sign-in). */
export const isAccessTokenShape = (secret: string) => /^khat_[A-Za-z0-9_-]{43}$/.test(secret);

/**
 * Authenticates an admin API request made with the CLI's access token (`keyhold login`): a live
 * access token for the admin API, issued to a user. The caller is that user, with the role and
 * vault permissions they hold *now* (re-read on every request, so a changed role or a removed
 * vault permission applies to the next command). Each refusal says why: unknown or revoked
 * (its grant revoked deletes it), revoked by `keyhold logout`, expired, its user gone.
 */
export async function authenticateCliToken(
  stores: Pick<Stores, 'oauthTokens' | 'users' | 'vaultAccess' | 'accounts'>,
  secret: string,
  facts: CallerFacts,
): Promise<RequestContext> {
  const record = await stores.oauthTokens.findByHash(hashSecret(secret));
  if (record?.kind !== 'access' || record.resource !== ADMIN_API_RESOURCE || record.userId === null) {
    throw unauthorized(
      'the access token is unknown: it was never issued for the admin API, or its sign-in was revoked; run `keyhold login`',
    );
  }
  if (record.revokedAt !== null) {
    throw unauthorized(`this CLI sign-in was revoked at ${record.revokedAt}; run \`keyhold login\``);
  }
  if (record.expiresAt <= new Date().toISOString()) {
    throw unauthorized(
      `the access token expired at ${record.expiresAt}; refresh it or run \`keyhold login\``,
    );
  }
  const standing = await activeUser(stores, record.accountId, record.userId);
  if (!standing.active) throw unauthorized(`the CLI sign-in is refused: ${standing.message}`);
  const { user } = standing;
  const access = await stores.vaultAccess.listForUser(user.id);
  const account = await stores.accounts.get(user.accountId);
  if (!account) throw unauthorized('the CLI sign-in is refused: its account no longer exists');
  const { operator } = account;
  return {
    // The credential is the sign-in: its grant (one per user and CLI), stable across refreshes.
    actor: { type: 'user', id: user.id, accountId: user.accountId, tokenId: record.grantId },
    principal: userPrincipal(user, access, operator),
    ...facts,
  };
}
