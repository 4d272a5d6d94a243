import { newId } from '../../crypto/ids.js';
import { hashSecret, newBearerSecret } from '../../crypto/secrets.js';
import type { AdminTokenRecord, AdminTokenStore } from '../../storage/ports.js';

/** Admin API tokens are `khadm_` + 43 base64url characters (32 random bytes). */
export const ADMIN_TOKEN_PREFIX = 'khadm';
const ADMIN_TOKEN_PATTERN = /^khadm_[A-Za-z0-9_-]{43}$/;

export interface IssuedAdminToken {
  record: AdminTokenRecord;
  /** The bearer secret: returned once, never stored. */
  secret: string;
}

export function issueAdminToken(accountId: string, name: string, operator: boolean): IssuedAdminToken {
  const secret = newBearerSecret(ADMIN_TOKEN_PREFIX);
  return {
    secret,
    record: {
      id: newId(),
      accountId,
      name,
      tokenHash: hashSecret(secret),
      operator,
      createdAt: new Date().toISOString(),
    },
  };
}

/**
 * Finds the token a bearer secret belongs to. The lookup is by SHA-256 of the secret, so the
 * database index never compares attacker-chosen bytes with a stored secret.
 */
export async function authenticateAdminToken(
  store: AdminTokenStore,
  secret: string,
): Promise<AdminTokenRecord | undefined> {
  if (!ADMIN_TOKEN_PATTERN.test(secret)) return undefined;
  return store.findByHash(hashSecret(secret));
}
