import type { Keyring } from '../../crypto/keyring.js';
import type { Stores, UserRecord } from '../../storage/ports.js';
import { normaliseRecoveryCode, recoveryCodeHash } from './recovery-codes.js';
import { looksLikeTotp, matchingStep } from './totp.js';
import { openTotpSecret } from './totp-secret.js';

export type AcceptedCode = 'totp' | 'recovery';

/**
 * Accepts a second-factor code of a user with TOTP on: a TOTP code of the window later than the
 * last one accepted, or an unused recovery code. Either is consumed by a compare-and-set in
 * `stores` (the caller's transaction), so a code passes once, however many requests race with
 * it. Undefined when it is wrong, already used, or the user has no TOTP on. A stored secret that
 * fails its integrity check throws `mfa_unavailable`.
 *
 * Throttling is the caller's (LoginThrottle.reserveCode), before this is reached.
 */
export async function acceptCode(
  stores: Pick<Stores, 'totp'>,
  keyring: Keyring,
  user: Pick<UserRecord, 'id' | 'accountId'>,
  code: string,
  now: number = Date.now(),
): Promise<AcceptedCode | undefined> {
  const totp = await stores.totp.get(user.id);
  if (!totp?.enabled || totp.accountId !== user.accountId) return undefined;
  if (looksLikeTotp(code)) {
    const secret = openTotpSecret(keyring, user.accountId, user.id, totp.secret);
    const step = matchingStep(secret, code, now, totp.lastStep);
    secret.fill(0);
    return step !== undefined && (await stores.totp.acceptStep(user.id, step)) ? 'totp' : undefined;
  }
  const normalised = normaliseRecoveryCode(code);
  if (normalised === undefined) return undefined;
  const used = await stores.totp.useRecoveryCode(
    user.id,
    recoveryCodeHash(user.id, normalised),
    new Date(now).toISOString(),
  );
  return used ? 'recovery' : undefined;
}
