import { newId } from '../../crypto/ids.js';
import { hashSecret, newBearerSecret } from '../../crypto/secrets.js';
import type { MfaChallengePurpose, MfaChallengeRecord, Stores, UserRecord } from '../../storage/ports.js';

export const CHALLENGE_PREFIX = 'khmfa';
const CHALLENGE_PATTERN = /^khmfa_[A-Za-z0-9_-]{43}$/;
/** Time to open the authenticator app (or enrol one) after the password was right. */
export const CHALLENGE_TTL_SECONDS = 5 * 60;
/** Codes one pending second step takes; then the password must be given again. */
export const CHALLENGE_MAX_ATTEMPTS = 5;

/**
 * Stores the pending second step of a sign-in whose password was right, in `tx`. Returns the
 * cookie value that binds it to the browser (only its hash is stored) and the record.
 */
export async function openChallenge(
  tx: Pick<Stores, 'mfaChallenges'>,
  user: Pick<UserRecord, 'id' | 'accountId'>,
  purpose: MfaChallengePurpose,
): Promise<{ secret: string; record: MfaChallengeRecord }> {
  const secret = newBearerSecret(CHALLENGE_PREFIX);
  const now = Date.now();
  const record: MfaChallengeRecord = {
    id: newId(),
    secretHash: hashSecret(secret),
    accountId: user.accountId,
    userId: user.id,
    purpose,
    csrfToken: newBearerSecret('csrf'),
    attempts: 0,
    createdAt: new Date(now).toISOString(),
    expiresAt: new Date(now + CHALLENGE_TTL_SECONDS * 1000).toISOString(),
  };
  await tx.mfaChallenges.insert(record);
  return { secret, record };
}

/**
 * The live challenge a cookie value belongs to in this account (in any account when `accountId`
 * is undefined: the web console's cookie names none, the challenge does), or undefined.
 */
export async function findChallenge(
  stores: Pick<Stores, 'mfaChallenges'>,
  accountId: string | undefined,
  cookie: string | undefined,
): Promise<MfaChallengeRecord | undefined> {
  if (!cookie || !CHALLENGE_PATTERN.test(cookie)) return undefined;
  const record = await stores.mfaChallenges.findByHash(hashSecret(cookie));
  if (!record || (accountId !== undefined && record.accountId !== accountId)) return undefined;
  if (record.expiresAt <= new Date().toISOString()) {
    await stores.mfaChallenges.delete(record.id);
    return undefined;
  }
  return record;
}
