import { aad } from '../../crypto/envelope.js';
import type { Keyring } from '../../crypto/keyring.js';
import { AppError, isAppError } from '../../errors/app-error.js';

/**
 * A TOTP secret at rest: sealed under the master key, with AAD naming the account and the user,
 * so a row copied to another user (or account) fails to open there.
 */
export const sealTotpSecret = (keyring: Keyring, accountId: string, userId: string, secret: Buffer): Buffer =>
  keyring.sealWithMaster(secret, aad.totpSecret(accountId, userId));

/**
 * Opens the user's sealed secret. One that fails its check is refused as `mfa_unavailable`: the
 * user cannot pass the second step (never a way around it), and the answer tells an administrator
 * what to do instead of a bare 500.
 */
export function openTotpSecret(keyring: Keyring, accountId: string, userId: string, sealed: Buffer): Buffer {
  try {
    return keyring.openWithMaster(sealed, aad.totpSecret(accountId, userId), `TOTP secret of user ${userId}`);
  } catch (error) {
    if (isAppError(error) && error.code === 'integrity_error') throw mfaUnavailable(error);
    throw error;
  }
}

export const mfaUnavailable = (cause?: unknown) =>
  new AppError(
    409,
    'mfa_unavailable',
    'The second factor of this user failed its integrity check and cannot be used; an administrator must reset it.',
    { cause },
  );
