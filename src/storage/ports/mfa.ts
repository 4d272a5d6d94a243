/** Storage ports: Second factors: TOTP, the account policy, pending sign-in steps. */

/**
 * A user's TOTP second factor. `secret` is sealed under the master key with AAD naming account and
 * user (domain/mfa/totp-secret.ts). A row with `enabled` false is an enrolment not yet confirmed
 * with a code; it never counts at sign-in.
 */
export interface TotpRecord {
  userId: string;
  accountId: string;
  secret: Buffer;
  enabled: boolean;
  /** The last time-step a code was accepted for (-1 before the first); codes at or before it are refused. */
  lastStep: number;
  createdAt: string;
  enabledAt: string | null;
  /**
   * While pending: the one sign-in context the secret was shown to and that alone may confirm it
   * (domain/mfa/enrolment-owner.ts: a login session's or a pending second step's id, never a
   * cookie value). Null once enabled.
   */
  pendingFor: string | null;
}

export interface TotpStore {
  get(userId: string): Promise<TotpRecord | undefined>;
  /**
   * Stores a new, not yet enabled secret for the user, bound to `record.pendingFor`, replacing an
   * earlier unconfirmed one (whoever it was bound to). Returns false (nothing written) when the
   * user's TOTP is already enabled.
   */
  putPending(record: TotpRecord): Promise<boolean>;
  /**
   * Switches the pending secret on if it is still `secret`, still bound to `pendingFor` and not
   * enabled, in one statement (compare-and-set: of two confirmations, one wins; a secret replaced
   * or rebound meanwhile is not switched on), with `step` as its last accepted step, and replaces
   * the user's recovery codes with `recoveryCodeHashes`.
   */
  enable(
    userId: string,
    secret: Buffer,
    pendingFor: string,
    step: number,
    recoveryCodeHashes: Buffer[],
    at: string,
  ): Promise<boolean>;
  /**
   * Records `step` as accepted only if it is later than the last accepted one and the TOTP is
   * enabled, in one statement: of parallel submissions of one code, exactly one gets true.
   */
  acceptStep(userId: string, step: number): Promise<boolean>;
  /** Marks an unused recovery code used; true for exactly one of parallel uses of one code. */
  useRecoveryCode(userId: string, codeHash: Buffer, at: string): Promise<boolean>;
  unusedRecoveryCodes(userId: string): Promise<number>;
  /** Removes the user's TOTP and recovery codes; false when there was no TOTP row. */
  delete(userId: string): Promise<boolean>;
}

/**
 * Account-wide sign-in policy; an account without a row has the defaults (MFA not required,
 * authorization requests need not be pushed).
 */
export interface AccountPolicyRecord {
  accountId: string;
  requireMfa: boolean;
  /** Authorization requests must come through the PAR endpoint (RFC 9126 §5). */
  requirePushedRequests: boolean;
  updatedAt: string;
}

export interface AccountPolicyStore {
  get(accountId: string): Promise<AccountPolicyRecord | undefined>;
  put(policy: AccountPolicyRecord): Promise<void>;
}

export const MFA_CHALLENGE_PURPOSES = ['verify', 'enrol'] as const;
export type MfaChallengePurpose = (typeof MFA_CHALLENGE_PURPOSES)[number];

/**
 * A sign-in whose password was right and whose second step is pending: bound to the browser by
 * a cookie whose SHA-256 is `secretHash`, short-lived, and limited in attempts.
 */
export interface MfaChallengeRecord {
  id: string;
  secretHash: Buffer;
  accountId: string;
  userId: string;
  /** `verify`: a code is asked for; `enrol`: the account requires MFA and the user has none yet. */
  purpose: MfaChallengePurpose;
  csrfToken: string;
  attempts: number;
  createdAt: string;
  expiresAt: string;
}

export interface MfaChallengeStore {
  insert(challenge: MfaChallengeRecord): Promise<void>;
  findByHash(secretHash: Buffer): Promise<MfaChallengeRecord | undefined>;
  /** Counts one attempt if fewer than `max` were made, atomically; false when none is left. */
  countAttempt(id: string, max: number): Promise<boolean>;
  /** Deletes the challenge; true for exactly one of parallel deletions (the one that consumes it). */
  delete(id: string): Promise<boolean>;
  /** Deletes every pending sign-in of the user (the password changed, or the user was disabled). */
  deleteForUser(userId: string): Promise<number>;
  purgeExpired(before: string): Promise<number>;
}
